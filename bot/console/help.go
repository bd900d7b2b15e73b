package console

// Syntax explains the console's lines and what it prints; the console's help
// command and `liaison console --help` show it.
const Syntax = `Each line is one thing a person does in Slack or Discord. The console shows
what the people in the channel would see, then lets Liaison finish everything
that is due (outbox, jobs) before it reads the next line.

What you can type:
  discord #CHANNEL NAME: TEXT        NAME posts TEXT in a Discord channel
  slack #CHANNEL NAME: TEXT          NAME posts TEXT in a Slack channel
                                     (\n in TEXT starts a new line)
  slack #CHANNEL NAME: /COMMAND ARGS a TEXT starting with / runs a slash command:
                                       slack #product bob: /liaison help
  discord #CHANNEL NAME: /COMMAND OPTIONS
                                     Discord options go in the command's order
                                     or as name:value, and the last text option
                                     takes the rest of the line (but a channel,
                                     number or yes/no option after it, typed at
                                     the end; a duration is one word); a user
                                     option takes a member's name, a channel
                                     option #name:
                                       discord #general dave: /warn mallory spamming links
                                       discord #general dave: /warn reason:"spam" user:mallory
                                       discord #general dave: /slowmode 10 #general
  react REF EMOJI NAME               NAME reacts to message REF with an emoji or a
                                     Slack shortcode:  react d1 👍 eve   react s2 :eyes: bob
  unreact REF EMOJI NAME             NAME removes their reaction:  unreact d1 👍 eve
  reply REF NAME: TEXT               NAME answers message REF: a Discord reply, or a
                                     reply in the thread of Slack message REF
  thread REF NAME: TEXT              NAME writes in the thread started on Discord
                                     message REF (started, and named after the
                                     message, on first use); on a forum post's
                                     first message, in the post
  post #FORUM NAME: TITLE | TEXT     NAME opens a post in a Discord forum:
                                       post #ideas alice: Dark mode | please add one
  click REF "LABEL" NAME             NAME clicks the button LABEL on message REF:
                                       click s2 "Acknowledge" bob
  menu REF "MENU" NAME               NAME uses a message menu on Discord message REF:
                                       menu d1 "Send to product" bob
  submit NAME FIELD=VALUE…           NAME fills in and sends the form last opened for
                                     them; quote values that have spaces:
                                       submit carol reason="too harsh for a first reply"
  edit REF NAME: TEXT                NAME changes their message REF to TEXT
  delete REF                         message REF is deleted
  join NAME [age DURATION]           NAME joins the Discord server; a name new to the
                                     world gets an account created DURATION ago
                                     (1y unless given: 2d, 6w, 2y):  join zoe age 2d
  leave NAME                         NAME leaves the Discord server
  feed SOURCE AUTHOR: TITLE | URL | TEXT
                                     the watch's SOURCE (feeds, hn, reddit, mastodon,
                                     stackexchange, github) fetches an item by AUTHOR,
                                     shown as [web SOURCE] w1 AUTHOR: TITLE <URL>:
                                       feed hn jdoe: Acme is down | https://news.ycombinator.com/item?id=1 | anyone else?
  dm NAME: TEXT                      NAME writes to Liaison in private (a Discord
                                     DM): modmail, when it is on
  clock +DURATION                    time passes (30m, 2h, 1d, 1w) and what falls
                                     due runs
  clock TIME                         time passes until TIME, RFC 3339, seconds
                                     optional: clock 2026-11-24T10:00+01:00. As a
                                     script's first line it sets the start instead,
                                     and fires nothing
  help                               this text
  quit                               leave (so does the end of the input)
Lines starting with # and blank lines are skipped. NAME is someone the
configuration declares: on Slack, people: with a slack: id; on Discord,
console.members (and people: with a discord: id), or someone who joined.
On Discord, as there, a banned, kicked or departed member can do nothing
until they join again, and a timed-out one cannot post, react or run
commands until the timeout ends. With slowmode on in a channel (/slowmode),
a member without the moderators role waits that long between messages
there (threads and commands are not held back).

What it prints:
  Every message gets a reference, counted from 1 in each run: s1, s2… on Slack,
  d1, d2… on Discord. Later lines use them.
  [discord #feedback] d1 alice: the export button crashes   a message typed here
  [slack #product] bob: /liaison help               a command (it is not a message)
  [slack #product] s2 liaison: text                 Liaison's post: its text,
      (pings: nobody)                               whom it notifies,
      [Acknowledge] [Close]                         its buttons
  [slack #product] s4 (thread s2) liaison: …        in s2's thread
  [discord #feedback] d5 (reply d1) liaison: …      a Discord reply to d1
  [discord #feedback › export crashes] d7 bob: …    in a thread or forum post
  [slack #product] (to bob) liaison: …              shown to bob only; with a
  [slack #product] s6 (to bob) liaison: …           reference when it has buttons
  [slack #product] s2 edited liaison: …             an edit
  [slack #product] s2 +✅ liaison                   a reaction (-✅ removed)
  [slack #community] s7 liaison: [file chart.png]   a file
  [slack #product] bob clicked [Acknowledge] on s2  a click (menus and forms alike)
  [slack #approvals] (to carol) liaison: [form …]   a form: its fields follow
  [discord server] zoe joined (account created 2d ago)   joins and leaves
  [discord dm › mallory] d9 liaison: …              a DM, hers or Liaison's
  [clock] Mon 7 Dec 2026 10:00 CET (Europe/Paris)   time passed
A message of several lines shows its first line after the colon and the others
indented by four spaces: title, text, quote (> …), fields (Name: value), link
(label <url>), small print, then its buttons on a line of their own. Every
message Liaison posts or edits where others see it ends, before its buttons,
with whom it notifies, worked out from what the real Slack and Discord senders
send: (pings: nobody) or (pings: @zoe). Messages Liaison sends to a person's
id print as [slack @carol].

When a line cannot run, the console prints "line N: " and what to change, and
carries on; an error of Liaison's is shown to the person who caused it, as on
the platforms. The console exits with status 0 at the end of the input.
`

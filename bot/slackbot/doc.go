// Package slackbot is Liaison's Slack adapter. It wraps one dependency,
// github.com/slack-go/slack, and translates between Slack's shapes and the
// types declared in package bot:
//
//   - the receiver (Adapter.Routes): POST /slack/events, /slack/commands and
//     /slack/interactions, each verified (v0 signature, 5-minute window, at
//     most 1 MiB) before anything is parsed, then turned into bot events,
//     commands, actions and submissions for a bot.Handler;
//   - Socket Mode (Adapter.Run with an app-level token): the same requests
//     over a WebSocket, parsed and handled by the same code;
//   - the Sender: outbox posts, edits, reactions and uploads rendered as
//     Block Kit, paced per channel, with Slack's errors mapped to the
//     dispatcher's retry, rate-limit and permanent cases; plus the direct
//     calls a handler makes for the request in hand (ephemeral messages,
//     modals, user and user-group look-ups).
//
// Domain rules do not live here: the adapter never decides what an event
// means, and it never drops a redelivered event on its own. It hands the
// handler the event's platform identities (Delivery.Keys) and the handler
// records them in the transaction that handles the event.
//
// # Acknowledging
//
// Slack wants an answer within 3 seconds. Every request is handled in the
// adapter's bounded pool and the answer waits for the handler up to
// Options.AckBudget (2.5 s): an event is acknowledged once its handler has
// committed (an error answers 500, so Slack redelivers and, the handler's
// transaction having rolled back, the retry is processed); a slash command
// is answered with its reply in the HTTP response (or the Socket Mode ack).
// A handler still running when the budget is spent is acknowledged empty and
// finishes in the background: a command's reply then goes to its
// response_url.
//
// # Identities (Delivery.Keys)
//
//   - every Events API event: {slack_event, TEAM:EVENT_ID};
//   - a message posted: {slack_message, CHANNEL:TS}; an edit:
//     {slack_message, CHANNEL:TS:edit:EDITED_TS}; a deletion:
//     {slack_message, CHANNEL:TS:delete}; so an edit is never mistaken for
//     a redelivery of the original message;
//   - a slash command or message shortcut: {slack_command, TRIGGER_ID};
//   - a button click or a form submission: {slack_interaction, TRIGGER_ID}
//     (TRIGGER_ID/N for the N-th action of a payload carrying several).
//
// # Forms
//
// A bot.ModalField becomes an input block whose block_id and action_id are
// both the field's ID; Submission.Values is keyed by block_id. A handler
// answering a submission with a bot.Error of code invalid gets the error shown
// under a field: the field whose ID starts the message followed by ": "
// ("reason: Say why in a few words" is shown under the field "reason", as
// "Say why in a few words"), otherwise the form's first field. Other errors
// replace the form with a view showing the message.
//
// # Text
//
// Everything rendered into a message, a reply or a form label goes through
// bot.SlackText, by construction: the builders take plain strings and escape
// them, so user text can never ping. The only mentions Liaison sends are a
// Post's Notify user ids. mrkdwn is sent with verbatim set, so Slack does not
// auto-link channel names or words either. Prefilled form values are the
// exception: an input's initial value is shown as typed and cannot ping.
package slackbot

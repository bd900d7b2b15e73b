// Package bot is Liaison's domain: the nouns (feedback items, drafts, cases,
// outbox messages), their rules, and the small interfaces shared by several
// packages (Sender, Clock).
//
// Nothing here does network or SQL I/O, and bot imports no adapter, store or
// job package: adapters (bot/slackbot, bot/discordbot, bot/console) translate
// platform traffic into the types declared here, bot/store persists them, and
// jobs drives them over time. Only cmd/liaison knows every package.
package bot

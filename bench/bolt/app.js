// The Bolt-JS peer of bench/compare.sh: Bolt 5.1's own HTTP receiver
// verifies each slash command's signature and the app acks it with the
// same kind of answer Liaison gives to /liaison help and /feedback (whose
// phrase bench/slack-load checks for). Nothing is stored.
//
//   SLACK_SIGNING_SECRET=… PORT=3000 node app.js
const { App, LogLevel } = require('@slack/bolt');

const app = new App({
  signingSecret: process.env.SLACK_SIGNING_SECRET,
  token: 'xoxb-bench-not-used',
  // With the bot's ids given and verification off, Bolt never calls
  // auth.test: nothing leaves the machine.
  botId: 'B0BENCH',
  botUserId: 'U0BENCH',
  tokenVerificationEnabled: false,
  endpoints: '/slack/commands',
  logLevel: LogLevel.ERROR,
});

app.command('/liaison', async ({ ack }) => {
  await ack({ response_type: 'ephemeral', text: 'Liaison relays feedback (Bolt-JS: verify and ack)' });
});

app.command('/feedback', async ({ ack }) => {
  await ack({ response_type: 'ephemeral', text: 'Logged as feedback (Bolt-JS: verify and ack)' });
});

(async () => {
  const port = Number(process.env.PORT || 3000);
  await app.start({ port, host: '127.0.0.1' });
  console.log(`listening on 127.0.0.1:${port}`);
})();

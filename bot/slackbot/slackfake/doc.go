// Package slackfake is a fake Slack for tests: a Web API, file upload URLs,
// response_url endpoints and a Socket Mode WebSocket, served by one
// httptest server and spoken to by the real slack-go client, plus builders
// for the signed HTTP requests Slack sends to an app (slash commands,
// interactivity, Events API).
//
// The fake answers like Slack: the same JSON shapes and error codes
// (channel_not_found, already_reacted, invalid_auth…), HTTP 429 with a
// Retry-After header when rate limited, message ts strings that are unique
// and increasing. Everything a client does is recorded (Calls, Messages,
// Ephemerals, Views, Responses, acks) so a test can assert on it, and
// failures can be injected per method (FailNext, StatusNext, RateLimitNext,
// EnforceRate).
//
// Point a client at it with slack.OptionAPIURL(fake.APIURL()). Seed the
// workspace first (AddChannel, AddUser, AddUsergroup, SetBotUser): unknown
// channels and users are errors, as in Slack.
//
// Where the fake is simpler than Slack it says so in the method's comment;
// it never accepts something Slack would refuse on purpose. Nothing here is
// used outside tests, and it imports nothing of Liaison.
package slackfake

// Package discordsim is an in-process Discord simulator: a stand-in for the
// Discord API that Kindred's end-to-end tests run against, and that
// `kindred playground` runs the real bot against for people to try it.
//
// A Server speaks enough of Discord's REST API (under /api/v9) and of the
// gateway websocket that an unmodified discordgo session can log in, receive
// guilds, register application commands, answer interactions, post messages,
// open DMs and threads and moderate members, without noticing that it is not
// talking to discord.com.
//
// Tests describe the world with AddGuild (and change it with SetRole,
// AddMember and RemoveMember), drive it as a member would with
// Interact, Autocomplete, Click, SubmitModal and MessageCommand, and look at
// what the bot did through Reply, Messages, Requests and the model getters.
// DeliverOverHTTP sends interactions to an application's Interactions
// Endpoint URL instead, signed with the key InteractionsPublicKey names,
// and takes each response body as the callback. A bot that never opens
// the gateway learns its application id from GET /oauth2/applications/@me.
// Gateway trouble (reconnect requests, invalid sessions, dropped connections)
// and REST failures (FailNext) can be injected.
//
// The gateway shards as Discord does: a session that IDENTIFYs with
// shard [id, count] gets READY, GUILD_CREATE and every guild event only for
// the guilds with (guild_id >> 22) % count == id, and DMs only on shard 0;
// interactions go to a session of the owning shard. GET /gateway/bot
// reports the recommended shards and the session start limit, which
// IDENTIFY uses up; Options.MaxConcurrency enforces the identify buckets,
// IdentifyLog shows when each shard identified, and ReconnectShard and
// InvalidateShard disturb one shard only. Outside tests, Do and
// Complete dispatch what the Build* methods build and return errors, and
// VisibleChannels, MessagesFor and MessageFor show the world as one member
// sees it (their own ephemeral replies included); Changed and Version
// announce every change. Options.Now sets the world's clock.
//
// The fake enforces the rules Discord enforces and that a bot can get wrong:
// authentication, privileged intents, the 3 second interaction deadline,
// double acknowledgements, message and command validation, role hierarchy
// for role changes and moderation (positions, ties broken by the lower id,
// the owner out of reach), timeouts of at most 28 days, DMs only to
// users who share a guild with the bot, and message nonces (at most 25
// characters; with enforce_nonce, the bot's message with the same nonce
// from the last five minutes is returned instead of a new one).
//
// Adding a REST endpoint means writing a handler (see the routes_*.go files)
// and listing it in routeTable. Handlers run while the server lock is held,
// so they can read and change the model freely; they buffer their response
// and queue gateway events, which are sent after the lock is released.
package discordsim

-- mod_xmpp_invites: the XMPP server's part of xmpp-invites (Prosody 0.12).
--
-- Lets apps use invites in-app: registration with a token (XEP-0401, XEP-0445), password
-- resets through in-band registration, pre-authenticated subscriptions (XEP-0379) and the
-- invite commands on the server's JID (XEP-0401 §3, §5). Invites live in the xmpp-invites
-- component only: this module asks it over the component link, in the protocol of
-- docs/server-module.md, and does on the server what only the server can do (stream
-- features, accounts, rosters). Load it on each VirtualHost whose invites the component
-- serves; allow_registration may stay false.

local st = require "util.stanza";
local jid = require "util.jid";
local id = require "util.id";
local async = require "util.async";
local promise = require "util.promise";
local errors = require "util.error";
local usermanager = require "core.usermanager";
local rostermanager = require "core.rostermanager";
local nodeprep = require "util.encodings".stringprep.nodeprep;

local VERSION = "0.1.0";
local xmlns_server = "urn:xmpp-invites:server:0";
local xmlns_pars = "urn:xmpp:pars:0";
local xmlns_register = "jabber:iq:register";
local xmlns_commands = "http://jabber.org/protocol/commands";

local component = module:get_option_string("xmpp_invites_component", "invites."..module.host);
local timeout = module:get_option_number("xmpp_invites_timeout", 10);
local invite_only = module:get_option_boolean("registration_invite_only", true);
local require_encryption = module:get_option_boolean("c2s_require_encryption",
	module:get_option_boolean("require_encryption", true));

-- One value per server process, kept across reloads of this module: the component settles
-- what a previous process left half-done when it sees another one.
prosody.xmpp_invites_boot = prosody.xmpp_invites_boot or id.medium();
local boot = prosody.xmpp_invites_boot;

module:depends("adhoc");

-- Requests waiting for the component: they fail at once if it disconnects, not at the timeout.
local waiting = {};

-- One request to the component; waits (the caller runs in a session's async runner).
-- Returns the reply's payload (an empty <result/> for an empty reply), or nil and the error.
local function ask(iq_type, from, payload)
	local iq = st.iq({ type = iq_type, from = from, to = component, id = id.short() }):add_child(payload);
	local key = {};
	local lost = promise.new(function (_, reject) waiting[key] = reject; end);
	local result, err = async.wait_for(promise.race({ module:send_iq(iq, nil, timeout), lost }));
	waiting[key] = nil;
	if not result then return nil, err; end
	-- A bounce from the server itself (component not connected) comes back as the reply.
	if result.stanza.attr.type == "error" then return nil, errors.from_stanza(result.stanza); end
	return result.stanza.tags[1] or st.stanza("result"), nil;
end

-- A request of the server protocol (docs/server-module.md), from this host's own JID.
local function request(name, attrs, password)
	attrs.xmlns = xmlns_server;
	local payload = st.stanza(name, attrs);
	if password then payload:text_tag("password", password); end
	return ask("set", module.host, payload);
end

local unreachable = { ["remote-server-timeout"] = true; ["remote-server-not-found"] = true };

-- The component's refusal passed on to the client as it came (its condition and text say
-- what was wrong); a component that cannot be reached is said so.
local function error_reply(stanza, err)
	if unreachable[err.condition] then
		return st.error_reply(stanza, "wait", "remote-server-timeout", "The invite service is not reachable right now; try again in a few minutes");
	end
	local given = err.context and err.context.stanza and err.context.stanza:get_child("error");
	if not given then return st.error_reply(stanza, err.type or "cancel", err.condition or "undefined-condition", err.text); end
	local reply = st.reply(stanza);
	reply.attr.type = "error";
	return reply:add_child(st.clone(given));
end

-- A handler that fails still answers the client (RFC 6120 §8.2.3), its traceback in the log.
-- (Lua 5.1 cannot wait inside xpcall; there the handlers run as they are.)
local function answering(handler)
	if _VERSION == "Lua 5.1" then return handler; end
	return function (event)
		local ok, ret = xpcall(handler, debug.traceback, event);
		if ok then return ret; end
		module:log("error", "%s", ret);
		event.origin.send(st.error_reply(event.stanza, "wait", "internal-server-error"));
		return true;
	end
end

-- The component learns that in-app paths work for this host: when this module loads and
-- each time the component (re)connects.
local function announce()
	local iq = st.iq({ type = "set", from = module.host, to = component, id = id.short() })
		:tag("announce", { xmlns = xmlns_server, boot = boot, version = VERSION });
	module:send_iq(iq, nil, timeout):next(function ()
		module:log("info", "Announced in-app invites to %s", component);
	end, function (err)
		module:log("debug", "Could not announce in-app invites to %s: %s", component, tostring(err and err.text or err));
	end);
end

local function watch_component()
	local host = prosody.hosts[component];
	if not host then return; end
	module:hook_object_event(host.events, "component-authenticated", function () module:add_timer(0, announce); end);
	module:hook_object_event(host.events, "component-disconnected", function ()
		for key, reject in pairs(waiting) do
			waiting[key] = nil;
			reject(errors.new({ type = "wait", condition = "remote-server-timeout", text = "The component disconnected" }));
		end
	end);
	-- mod_component's own flag: without a connected component the announcement would only bounce.
	local env = host.modules and host.modules.component;
	if not env or env.connected then announce(); end
end
module:hook_global("host-activated", function (host) if host == component then watch_component(); end end);
watch_component();

function module.unload()
	module:send(st.iq({ type = "set", from = module.host, to = component, id = id.short() })
		:tag("withdraw", { xmlns = xmlns_server }));
end

-- XEP-0445 §3 / XEP-0401 §4: tell unauthenticated clients that registration takes a token.
module:hook("stream-features", function (event)
	local session, features = event.origin, event.features;
	if session.type ~= "c2s_unauthed" or (require_encryption and not session.secure) then return; end
	features:tag("register", { xmlns = "urn:xmpp:invite" }):up();
	features:tag("register", { xmlns = "urn:xmpp:ibr-token:0" }):up();
	if not features:get_child("register", "http://jabber.org/features/iq-register") then
		features:tag("register", { xmlns = "http://jabber.org/features/iq-register" }):up();
	end
end, -1);

-- XEP-0445 §3: <preauth/> before registering. The component checks the token (and counts
-- guesses per address); the use is only reserved when the client registers.
module:hook("stanza/iq/"..xmlns_pars..":preauth", answering(function (event)
	local session, stanza = event.origin, event.stanza;
	if session.type ~= "c2s_unauthed" or stanza.attr.type ~= "set" then return; end
	local token = stanza.tags[1].attr.token;
	if not token or token == "" then
		session.send(st.error_reply(stanza, "modify", "bad-request", "The preauth element needs a token"));
		return true;
	end
	local info, err = request("token", { token = token, ip = session.ip });
	if not info then
		session.send(error_reply(stanza, err));
		return true;
	end
	session.xmpp_invite = { token = token, type = info.attr.type, username = info.attr.username };
	session.send(st.reply(stanza));
	return true;
end));

local function registration_form(invite)
	local query = st.stanza("query", { xmlns = xmlns_register })
		:text_tag("instructions", invite.type == "reset"
			and "Choose a new password for "..invite.username.."@"..module.host.."."
			or "Choose a username and a password for your new account.");
	query:text_tag("username", invite.username or "");
	return query:tag("password"):up();
end

-- XEP-0077 §3.1 fields, or the same fields in a submitted data form (XEP-0004). Returns
-- the values, or nil and the name of a field given more than once.
local function submitted(query)
	local values, form = {}, query:get_child("x", "jabber:x:data");
	for _, name in ipairs({ "username", "password" }) do
		local count = 0;
		if form then
			for field in form:childtags("field") do
				if field.attr.var == name then
					for value in field:childtags("value") do count = count + 1; values[name] = value:get_text(); end
				end
			end
		else
			for el in query:childtags(name) do count = count + 1; values[name] = el:get_text(); end
		end
		if count > 1 then return nil, name; end
	end
	return values;
end

-- Creates the account the component reserved a use for. No wait between the check and the
-- creation, so that two registrations cannot both take one name.
local function create_account(username, password)
	if nodeprep(username) ~= username then
		return nil, "modify", "not-acceptable", "This username cannot be used on this server";
	end
	if usermanager.user_exists(username, module.host) then
		return nil, "cancel", "conflict", "The username "..username.." is already taken";
	end
	local ok, err = usermanager.create_user(username, password, module.host);
	if not ok then return nil, "modify", "not-acceptable", "The server refused this account: "..tostring(err or "no reason given"); end
	return true;
end

local function finish(rid, ok)
	local _, err = request("done", { id = rid, ok = ok and "true" or "false" });
	if err then
		-- The component settles it from the account's existence (its crash recovery).
		module:log("warn", "Could not report an in-app registration to %s: %s", component, tostring(err.text or err.condition));
	end
end

local function register(session, stanza, invite, username, password)
	-- Other modules may refuse first (Prosody's user-registering, e.g. mod_register_limits).
	local user = { username = username, host = module.host, ip = session.ip, session = session, allowed = true, source = module.name };
	module:fire_event("user-registering", user);
	if not user.allowed then
		local e = user.error or {};
		session.send(st.error_reply(stanza, e.type or "modify", e.condition or "not-acceptable", e.text or user.reason));
		return;
	end
	local began, err = request("register", { token = invite.token, username = username, ip = session.ip, boot = boot }, password);
	if not began then session.send(error_reply(stanza, err)); return; end
	local rid, name = began.attr.id, began.attr.username;
	if session.destroyed then finish(rid, false); return; end -- the stream closed meanwhile: give the use back
	local created, etype, condition, text = create_account(name, password);
	finish(rid, created);
	if not created then session.send(st.error_reply(stanza, etype, condition, text)); return; end
	module:log("info", "Account %s@%s created in-app through an invite", name, module.host);
	session.send(st.reply(stanza));
	module:fire_event("user-registered", { username = name, host = module.host, source = module.name, session = session });
end

-- A reset invite changes the bound account's password through in-band registration, as
-- Prosody's mod_invites_register and mod_register_ibr do (allow_reset).
local function reset(session, stanza, invite, username, password)
	local began, err = request("reset", { token = invite.token, username = username, ip = session.ip, boot = boot }, password);
	if not began then session.send(error_reply(stanza, err)); return; end
	local rid, name = began.attr.id, began.attr.username;
	if session.destroyed then finish(rid, false); return; end
	if not usermanager.user_exists(name, module.host) then
		finish(rid, false);
		session.send(st.error_reply(stanza, "cancel", "item-not-found", "There is no account "..name.."@"..module.host));
		return;
	end
	local ok, why = usermanager.set_password(name, password, module.host);
	finish(rid, ok);
	if not ok then
		session.send(st.error_reply(stanza, "modify", "not-acceptable", "The server refused this password: "..tostring(why or "no reason given")));
		return;
	end
	module:log("info", "Password of %s@%s reset in-app through an invite", name, module.host);
	session.send(st.reply(stanza));
	module:fire_event("user-password-reset", { username = name, host = module.host, source = module.name, session = session });
end

-- XEP-0077 in-band registration on an unauthenticated stream; only after <preauth/>.
module:hook("stanza/iq/"..xmlns_register..":query", answering(function (event)
	local session, stanza = event.origin, event.stanza;
	if session.type ~= "c2s_unauthed" then return; end
	local invite = session.xmpp_invite;
	if not invite then
		if not invite_only then return; end -- mod_register_ibr decides (allow_registration)
		session.send(st.error_reply(stanza, "cancel", "not-allowed", "Registration on this server is by invitation only: open your invite with your app"));
		return true;
	end
	if require_encryption and not session.secure then
		session.send(st.error_reply(stanza, "modify", "policy-violation", "Encryption is required"));
		return true;
	end
	local query = stanza.tags[1];
	if stanza.attr.type == "get" then
		session.send(st.reply(stanza):add_child(registration_form(invite)));
		return true;
	end
	if query:get_child("remove") then
		session.send(st.error_reply(stanza, "auth", "registration-required"));
		return true;
	end
	local values, repeated = submitted(query);
	if not values then
		session.send(st.error_reply(stanza, "modify", "bad-request", "The "..repeated.." is given more than once; send one"));
		return true;
	end
	local username, password = values.username, values.password;
	username = (username and username ~= "") and username or invite.username or "";
	if not password or password == "" or username == "" then
		session.send(st.error_reply(stanza, "modify", "not-acceptable", "Enter a username and a password"));
		return true;
	end
	if invite.type == "reset" then reset(session, stanza, invite, username, password);
	else register(session, stanza, invite, username, password); end
	return true;
end), 10);

-- XEP-0379 §2: a subscription request with a contact invite's token is approved at once,
-- and the inviter subscribes back, so both sides end with subscription "both".
local function approve(user, host, contact, stanza)
	local inviter = user.."@"..host;
	rostermanager.set_contact_pending_in(user, host, contact, stanza);
	rostermanager.subscribed(user, host, contact);
	rostermanager.set_contact_pending_out(user, host, contact);
	rostermanager.roster_push(user, host, contact);
	module:send(st.presence({ type = "subscribed", from = inviter, to = contact }));
	local c_user, c_host = jid.split(contact);
	if c_user and prosody.hosts[c_host] and prosody.hosts[c_host].type == "local" and usermanager.user_exists(c_user, c_host) then
		-- A contact on this server: approve the inviter's request on their behalf, as they asked for it.
		rostermanager.set_contact_pending_in(c_user, c_host, inviter);
		rostermanager.subscribed(c_user, c_host, inviter);
		rostermanager.process_inbound_subscription_approval(user, host, contact);
		rostermanager.roster_push(c_user, c_host, inviter);
		rostermanager.roster_push(user, host, contact);
		module:send(st.presence({ type = "probe", from = contact, to = inviter }));
		module:send(st.presence({ type = "probe", from = inviter, to = contact }));
	else
		module:send(st.presence({ type = "subscribe", from = inviter, to = contact }));
	end
end

module:hook("presence/bare", function (event)
	local origin, stanza = event.origin, event.stanza;
	if stanza.attr.type ~= "subscribe" or not async.ready() then return; end
	local preauth = stanza:get_child("preauth", xmlns_pars);
	local token = preauth and preauth.attr.token;
	if not token or token == "" then return; end
	local user, host = jid.split(stanza.attr.to);
	local contact = jid.bare(stanza.attr.from);
	if not user or host ~= module.host or not contact or not usermanager.user_exists(user, host) then return; end
	if rostermanager.is_contact_subscribed(user, host, contact) then return; end
	local ok, err = request("subscribe", { token = token, inviter = user.."@"..host, contact = contact, ip = origin.ip });
	if not ok then
		-- Not a usable token: an ordinary request, for the user to approve or not.
		module:log("debug", "Subscription token from %s refused: %s", contact, tostring(err and err.text or err));
		return;
	end
	approve(user, host, contact, stanza);
	return true;
end, 1);

-- XEP-0401 §3 and §5: the invite commands on the server's JID, run by the component with the
-- same permissions, forms and quotas as on its own JID (it sees the user as the requester).
local relayed = {
	["urn:xmpp:invite#invite"] = "Create new contact invite";
	["urn:xmpp:invite#create-account"] = "Create new account invite";
};

-- Relayed from the user's bare JID, so that the component's reply comes back to this host.
local function relay(requester, iq_type, payload)
	local from = jid.bare(requester);
	if jid.host(from) ~= module.host then
		return nil, { type = "auth", condition = "forbidden", text = "Only users of "..module.host.." may use these commands here" };
	end
	return ask(iq_type, from, st.clone(payload));
end

module:hook("iq-set/host/"..xmlns_commands..":command", answering(function (event)
	local origin, stanza = event.origin, event.stanza;
	if not relayed[stanza.tags[1].attr.node] then return; end
	local command, err = relay(stanza.attr.from, "set", stanza.tags[1]);
	if not command then origin.send(error_reply(stanza, err)); return true; end
	origin.send(st.reply(stanza):add_child(command));
	return true;
end), 600);

-- XEP-0050 §2.2: the commands this user may run, as the component lists them for the user.
module:hook("host-disco-items-node", function (event)
	if event.node ~= xmlns_commands or not async.ready() then return; end
	local query = st.stanza("query", { xmlns = "http://jabber.org/protocol/disco#items", node = xmlns_commands });
	local items = relay(event.stanza.attr.from, "get", query);
	if items then
		for item in items:childtags("item") do
			if relayed[item.attr.node] then
				event.reply:tag("item", { jid = module.host, node = item.attr.node, name = item.attr.name }):up();
			end
		end
	end
	event.exists = true;
end, 10);

module:hook("host-disco-info-node", function (event)
	local name = relayed[event.node];
	if not name then return; end
	event.reply:tag("identity", { category = "automation", type = "command-node", name = name }):up()
		:tag("feature", { var = xmlns_commands }):up()
		:tag("feature", { var = "jabber:x:data" }):up();
	event.exists = true;
end);

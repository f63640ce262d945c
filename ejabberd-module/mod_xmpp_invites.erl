%%%----------------------------------------------------------------------
%%% mod_xmpp_invites: the XMPP server's part of xmpp-invites (ejabberd 23.01).
%%%
%%% Lets apps use invites in-app: registration with a token (XEP-0401,
%%% XEP-0445), password resets through in-band registration,
%%% pre-authenticated subscriptions (XEP-0379) and the invite commands on
%%% the server's JID (XEP-0401 §3, §5). Invites live in the xmpp-invites
%%% component only: this module asks it over the component link, in the
%%% protocol of docs/server-module.md, and does on the server what only the
%%% server can do (stream features, accounts, rosters). The same behaviour
%%% as prosody-module/mod_xmpp_invites.lua.
%%%----------------------------------------------------------------------
-module(mod_xmpp_invites).
-behaviour(gen_mod).

-export([start/2, stop/1, reload/3, depends/2, mod_opt_type/1, mod_options/1, mod_doc/0]).
-export([stream_features/2, c2s_unauthenticated_packet/2, c2s_handle_info/2,
	 component_connected/1, in_subscription/2, adhoc_local_items/4,
	 adhoc_local_commands/4, disco_local_identity/5, disco_local_features/5]).

-include("logger.hrl").
-include("mod_roster.hrl").
-include_lib("xmpp/include/xmpp.hrl").

-define(VERSION, <<"0.1.0">>).
-define(NS_INVITES, <<"urn:xmpp-invites:server:0">>).
-define(NS_PARS, <<"urn:xmpp:pars:0">>).
-define(RELAYED, [{<<"urn:xmpp:invite#invite">>, <<"Create new contact invite">>},
		  {<<"urn:xmpp:invite#create-account">>, <<"Create new account invite">>}]).
-define(UNREACHABLE, <<"The invite service is not reachable right now; try again in a few minutes">>).

%%%===================================================================
%%% gen_mod
%%%===================================================================
%% The per-host hooks, added in this order and deleted in reverse.
hooks() ->
    [{c2s_pre_auth_features, stream_features, 60},
     {c2s_unauthenticated_packet, c2s_unauthenticated_packet, 40},
     {c2s_handle_info, c2s_handle_info, 40},
     {roster_in_subscription, in_subscription, 30},
     {adhoc_local_items, adhoc_local_items, 50},
     {adhoc_local_commands, adhoc_local_commands, 50},
     {disco_local_identity, disco_local_identity, 50},
     {disco_local_features, disco_local_features, 50}].

start(Host, _Opts) ->
    [ejabberd_hooks:add(Hook, Host, ?MODULE, Fun, Seq) || {Hook, Fun, Seq} <- hooks()],
    ejabberd_hooks:add(component_connected, ?MODULE, component_connected, 50),
    announce(Host),
    ok.

stop(Host) ->
    ejabberd_router:route(request_iq(Host, jid:make(Host), set, el(withdraw, []))),
    case gen_mod:is_loaded_elsewhere(Host, ?MODULE) of
	false -> ejabberd_hooks:delete(component_connected, ?MODULE, component_connected, 50);
	true -> ok
    end,
    [ejabberd_hooks:delete(Hook, Host, ?MODULE, Fun, Seq) || {Hook, Fun, Seq} <- lists:reverse(hooks())],
    ok.

reload(_Host, _NewOpts, _OldOpts) ->
    ok.

depends(_Host, _Opts) ->
    [{mod_adhoc, hard}, {mod_roster, hard}].

mod_opt_type(component) -> econf:domain();
mod_opt_type(timeout) -> econf:timeout(second);
mod_opt_type(invite_only) -> econf:bool().

mod_options(Host) ->
    [{component, <<"invites.", Host/binary>>},
     {timeout, timer:seconds(10)},
     {invite_only, true}].

mod_doc() ->
    #{desc => [<<"In-app invites (XEP-0401, XEP-0445, XEP-0379) served by the xmpp-invites component.">>],
      opts => [{component, #{value => <<"Domain">>, desc => <<"The component's JID (default invites.HOST).">>}},
	       {timeout, #{value => <<"timeout()">>, desc => <<"How long to wait for the component (default 10 seconds).">>}},
	       {invite_only, #{value => <<"true | false">>,
			       desc => <<"Refuse in-band registration without a token (default true); "
					 "false leaves it to mod_register.">>}}]}.

%%%===================================================================
%%% Talking to the component
%%%===================================================================
component(Host) -> gen_mod:get_module_opt(Host, ?MODULE, component).
timeout(Host) -> gen_mod:get_module_opt(Host, ?MODULE, timeout).

%% One value per server process, kept across reloads of this module: the
%% component settles what a previous process left half-done when it sees
%% another one.
boot() ->
    case persistent_term:get({?MODULE, boot}, undefined) of
	undefined ->
	    Boot = p1_rand:get_string(),
	    persistent_term:put({?MODULE, boot}, Boot),
	    Boot;
	Boot ->
	    Boot
    end.

el(Name, Attrs) ->
    el(Name, Attrs, []).
el(Name, Attrs, Children) ->
    #xmlel{name = atom_to_binary(Name, utf8),
	   attrs = [{<<"xmlns">>, ?NS_INVITES} | [{atom_to_binary(K, utf8), V} || {K, V} <- Attrs]],
	   children = Children}.

password(Password) ->
    [#xmlel{name = <<"password">>, children = [{xmlcdata, Password}]}].

request_iq(Host, From, Type, Payload) ->
    #iq{type = Type, from = From, to = jid:make(component(Host)),
	id = p1_rand:get_string(), sub_els = [Payload]}.

%% One request to the component; Fun gets {ok, Payload} (an empty
%% <result/> for an empty reply) or {error, StanzaError}, in the process
%% of ejabberd_iq: callers send it on to their own process.
ask(Host, From, Type, Payload, Fun) ->
    ejabberd_router:route_iq(request_iq(Host, From, Type, Payload),
			     fun(Res) -> Fun(outcome(Res)) end, undefined, timeout(Host)).

%% The same, waiting for the answer (a disco or command request of a user
%% already online: only that user's stream waits).
ask_and_wait(Host, From, Type, Payload) ->
    Self = self(),
    Ref = make_ref(),
    ask(Host, From, Type, Payload, fun(Outcome) -> Self ! {?MODULE, Ref, Outcome} end),
    receive {?MODULE, Ref, Outcome} -> Outcome
    after timeout(Host) + 1000 -> outcome(timeout)
    end.

%% A request of the server protocol, from the host's own JID.
request(Host, Payload, Fun) ->
    ask(Host, jid:make(Host), set, Payload, Fun).

outcome(#iq{type = result, sub_els = [El | _]}) -> {ok, El};
outcome(#iq{type = result}) -> {ok, #xmlel{name = <<"result">>}};
outcome(#iq{type = error} = IQ) ->
    %% A bounce from the server itself (the component is not connected) is said so.
    case xmpp:get_error(IQ) of
	#stanza_error{reason = R} when R == 'remote-server-not-found';
				       R == 'remote-server-timeout';
				       R == 'service-unavailable' ->
	    outcome(timeout);
	#stanza_error{} = Err -> {error, Err};
	undefined -> {error, xmpp:err_undefined_condition(cancel)}
    end;
outcome(timeout) ->
    {error, xmpp:err_remote_server_timeout(?UNREACHABLE, <<"en">>)}.

attr(Name, El) -> fxml:get_tag_attr_s(Name, El).

%% The component learns that in-app paths work for this host: when this
%% module starts and each time the component (re)connects.
announce(Host) ->
    Component = component(Host),
    request(Host, el(announce, [{boot, boot()}, {version, ?VERSION}]),
	    fun({ok, _}) -> ?INFO_MSG("Announced in-app invites to ~ts", [Component]);
	       ({error, _}) -> ?DEBUG("Could not announce in-app invites to ~ts", [Component])
	    end).

component_connected(Component) ->
    [announce(Host) || Host <- ejabberd_option:hosts(),
		       gen_mod:is_loaded(Host, ?MODULE), component(Host) == Component],
    ok.

%%%===================================================================
%%% Stream features, <preauth/> and in-band registration
%%%===================================================================
%% XEP-0445 §3 / XEP-0401 §4: registration takes a token.
stream_features(Acc, _Host) ->
    Register = fun(NS) -> #xmlel{name = <<"register">>, attrs = [{<<"xmlns">>, NS}]} end,
    IBR = case lists:any(fun(#feature_register{}) -> true; (_) -> false end, Acc) of
	      true -> [];
	      false -> [#feature_register{}]
	  end,
    Acc ++ [Register(<<"urn:xmpp:invite">>), Register(<<"urn:xmpp:ibr-token:0">>) | IBR].

c2s_unauthenticated_packet(State, #iq{type = set, sub_els = [#xmlel{name = <<"preauth">>} = El]} = IQ) ->
    case attr(<<"xmlns">>, El) of
	?NS_PARS -> {stop, preauth(State, IQ, attr(<<"token">>, El))};
	_ -> State
    end;
c2s_unauthenticated_packet(State, #iq{type = T, sub_els = [#xmlel{} = El]} = IQ)
  when T == get; T == set ->
    case xmpp:get_ns(El) of
	?NS_REGISTER -> registration(State, IQ, El);
	_ -> State
    end;
c2s_unauthenticated_packet(State, _) ->
    State.

%% The component checks the token (and counts guesses per address); the use
%% is only reserved when the client registers.
preauth(State, IQ, <<>>) ->
    reply(State, IQ, {error, xmpp:err_bad_request(<<"The preauth element needs a token">>, <<"en">>)});
preauth(#{lserver := Host} = State, IQ, Token) ->
    Self = self(),
    request(Host, el(token, [{token, Token}, {ip, ip(State)}]),
	    fun(Outcome) -> Self ! {?MODULE, {preauth, IQ, Token}, Outcome} end),
    State.

registration(#{lserver := Host} = State, IQ, El) ->
    case maps:find(xmpp_invite, State) of
	error ->
	    case gen_mod:get_module_opt(Host, ?MODULE, invite_only) of
		true ->
		    Txt = <<"Registration on this server is by invitation only: open your invite with your app">>,
		    {stop, reply(State, IQ, {error, xmpp:err_not_allowed(Txt, <<"en">>)})};
		false ->
		    State % mod_register decides
	    end;
	{ok, Invite} ->
	    {stop, registration(State, IQ, El, Invite)}
    end.

registration(#{lserver := Host} = State, #iq{type = get} = IQ, _El, Invite) ->
    Username = maps:get(username, Invite, <<>>),
    Instructions = case maps:get(type, Invite) of
		       <<"reset">> -> <<"Choose a new password for ", Username/binary, "@", Host/binary, ".">>;
		       _ -> <<"Choose a username and a password for your new account.">>
		   end,
    reply(State, IQ, {ok, #register{instructions = Instructions, username = Username, password = <<>>}});
registration(State, IQ, El, Invite) ->
    try {repeated(El), xmpp:decode(El)} of
	{[Name | _], _} ->
	    reply(State, IQ, {error, xmpp:err_bad_request(<<"The ", Name/binary, " is given more than once; send one">>, <<"en">>)});
	{[], #register{remove = true}} ->
	    reply(State, IQ, {error, xmpp:err_registration_required()});
	{[], #register{} = Register} ->
	    {Username0, Password} = submitted(Register),
	    Username = case Username0 of
			   <<>> -> maps:get(username, Invite, <<>>);
			   _ -> Username0
		       end,
	    if Username == <<>>; Password == <<>> ->
		    reply(State, IQ, {error, xmpp:err_not_acceptable(<<"Enter a username and a password">>, <<"en">>)});
	       true ->
		    begin_registration(State, IQ, Invite, Username, Password)
	    end
    catch _:{xmpp_codec, Why} ->
	    reply(State, IQ, {error, xmpp:err_bad_request(xmpp:io_format_error(Why), <<"en">>)})
    end.

%% The fields given more than once (the decoder would keep one of them).
repeated(Query) ->
    Form = fxml:get_subtag_with_xmlns(Query, <<"x">>, ?NS_XDATA),
    Count = fun(Name) when Form == false ->
		    length(fxml:get_subtags(Query, Name));
	       (Name) ->
		    length([V || #xmlel{name = <<"field">>} = F <- Form#xmlel.children,
				 attr(<<"var">>, F) == Name, V <- fxml:get_subtags(F, <<"value">>)])
	    end,
    [Name || Name <- [<<"username">>, <<"password">>], Count(Name) > 1].

%% XEP-0077 §3.1 fields, or the same fields in a data form (XEP-0004).
submitted(#register{xdata = #xdata{} = X}) ->
    Value = fun(Var) -> case xmpp_util:get_xdata_values(Var, X) of [V | _] -> V; [] -> <<>> end end,
    {Value(<<"username">>), Value(<<"password">>)};
submitted(#register{username = U, password = P}) ->
    {undef_empty(U), undef_empty(P)}.

undef_empty(undefined) -> <<>>;
undef_empty(V) -> V.

%% <register/> or <reset/>; the answer comes to c2s_handle_info. If this
%% stream is gone by then, the reserved use is given back at once.
begin_registration(#{lserver := Host} = State, IQ, #{token := Token, type := Type}, Username, Password) ->
    Step = case Type of <<"reset">> -> reset; _ -> register end,
    Self = self(),
    request(Host, el(Step, [{token, Token}, {username, Username}, {ip, ip(State)}, {boot, boot()}], password(Password)),
	    fun({ok, Began} = Outcome) ->
		    case is_process_alive(Self) of
			true -> Self ! {?MODULE, {Step, IQ, Password}, Outcome};
			false -> finish(Host, attr(<<"id">>, Began), false, fun(_) -> ok end)
		    end;
	       (Outcome) ->
		    Self ! {?MODULE, {Step, IQ, Password}, Outcome}
	    end),
    State.

c2s_handle_info(State, {?MODULE, {preauth, IQ, Token}, {ok, Info}}) ->
    Invite = maps:from_list([{token, Token}, {type, attr(<<"type">>, Info)} |
			     [{username, U} || U <- [attr(<<"username">>, Info)], U /= <<>>]]),
    {stop, reply(State#{xmpp_invite => Invite}, IQ, {ok, undefined})};
c2s_handle_info(State, {?MODULE, {done, IQ}, Result}) ->
    {stop, reply(State, IQ, case Result of ok -> {ok, undefined}; Err -> Err end)};
c2s_handle_info(State, {?MODULE, {_, IQ, _}, {error, _} = Err}) ->
    {stop, reply(State, IQ, Err)};
c2s_handle_info(#{lserver := Host} = State, {?MODULE, {Step, IQ, Password}, {ok, Began}}) ->
    Name = attr(<<"username">>, Began),
    Result = case Step of
		 register -> create_account(Name, Host, Password);
		 reset -> set_password(Name, Host, Password)
	     end,
    case Result of
	ok when Step == register -> ?INFO_MSG("Account ~ts@~ts created in-app through an invite", [Name, Host]);
	ok -> ?INFO_MSG("Password of ~ts@~ts reset in-app through an invite", [Name, Host]);
	_ -> ok
    end,
    %% The app hears of it once the component has settled the use.
    Self = self(),
    finish(Host, attr(<<"id">>, Began), Result == ok, fun(_) -> Self ! {?MODULE, {done, IQ}, Result} end),
    {stop, State};
c2s_handle_info(State, _) ->
    State.

%% No wait between the check and the creation, so that two registrations
%% cannot both take one name.
create_account(Name, Host, Password) ->
    case jid:nodeprep(Name) /= Name orelse Name == <<>> of
	true -> {error, xmpp:err_not_acceptable(<<"This username cannot be used on this server">>, <<"en">>)};
	false -> register_account(Name, Host, Password)
    end.

%% try_register refuses a name that exists.
register_account(Name, Host, Password) ->
    case ejabberd_auth:try_register(Name, Host, Password) of
	ok -> ok;
	{error, exists} -> {error, xmpp:err_conflict(<<"The username ", Name/binary, " is already taken">>, <<"en">>)};
	{error, Why} -> {error, xmpp:err_not_acceptable(refused(<<"account">>, Why), <<"en">>)}
    end.

set_password(Name, Host, Password) ->
    case ejabberd_auth:user_exists(Name, Host) of
	false ->
	    {error, xmpp:err_item_not_found(<<"There is no account ", Name/binary, "@", Host/binary>>, <<"en">>)};
	true ->
	    case ejabberd_auth:set_password(Name, Host, Password) of
		ok -> ok;
		{error, Why} -> {error, xmpp:err_not_acceptable(refused(<<"password">>, Why), <<"en">>)}
	    end
    end.

refused(What, Why) ->
    <<"The server refused this ", What/binary, ": ", (misc:atom_to_binary(Why))/binary>>.

finish(Host, Id, Ok, Then) ->
    request(Host, el(done, [{id, Id}, {ok, atom_to_binary(Ok, utf8)}]),
	    fun({ok, _} = Outcome) -> Then(Outcome);
	       ({error, _} = Outcome) ->
		    %% The component settles it from the account's existence (its crash recovery).
		    ?WARNING_MSG("Could not report an in-app registration to ~ts", [component(Host)]),
		    Then(Outcome)
	    end).

reply(#{lserver := Host} = State, IQ, {ok, Payload}) ->
    Res = xmpp:make_iq_result(IQ, Payload),
    ejabberd_c2s:send(State, xmpp:set_from_to(Res, jid:make(Host), undefined));
reply(#{lserver := Host} = State, IQ, {error, Err}) ->
    Res = xmpp:make_error(IQ, Err),
    ejabberd_c2s:send(State, xmpp:set_from_to(Res, jid:make(Host), undefined)).

ip(#{ip := {Addr, _}}) -> list_to_binary(inet:ntoa(Addr));
ip(_) -> <<>>.

%%%===================================================================
%%% XEP-0379: pre-approved subscriptions
%%%===================================================================
%% A subscription request with a contact invite's token is approved at
%% once, and the inviter subscribes back, so both sides end with "both".
%% Held back while the component checks the token; delivered as an ordinary
%% request if it refuses.
in_subscription(Acc, #presence{type = subscribe, from = From, to = #jid{luser = User, lserver = Host}} = Pres)
  when User /= <<>> ->
    Contact = jid:remove_resource(From),
    case [attr(<<"token">>, E) || E <- Pres#presence.sub_els, is_preauth(E)] of
	[Token | _] when Token /= <<>> ->
	    case roster_item(User, Host, Contact) of
		#roster{subscription = Sub} when Sub == from; Sub == both ->
		    Acc;
		_ ->
		    pre_approved(Pres, Token, jid:make(User, Host), Contact),
		    {stop, false}
	    end;
	_ ->
	    Acc
    end;
in_subscription(Acc, _) ->
    Acc.

pre_approved(#presence{sub_els = Els} = Pres, Token, #jid{lserver = Host} = Inviter, Contact) ->
    Plain = Pres#presence{sub_els = [E || E <- Els, not is_preauth(E)]},
    request(Host, el(subscribe, [{token, Token}, {inviter, jid:encode(Inviter)}, {contact, jid:encode(Contact)}]),
	    fun({ok, _}) -> approve(Inviter, Contact, Pres);
	       ({error, _}) -> ejabberd_router:route(Plain) % an ordinary request, for the user to approve or not
	    end).

is_preauth(#xmlel{name = <<"preauth">>} = E) -> attr(<<"xmlns">>, E) == ?NS_PARS;
is_preauth(_) -> false.

approve(Inviter, Contact, Pres) ->
    case ejabberd_router:is_my_host(Contact#jid.lserver)
	andalso ejabberd_auth:user_exists(Contact#jid.luser, Contact#jid.lserver) of
	true ->
	    %% A contact on this server: both items become "both" at once; the
	    %% roster pushes send each side's presence to the other.
	    both(Inviter, Contact),
	    both(Contact, Inviter);
	false ->
	    mod_roster:in_subscription(false, Pres),
	    Subscribed = #presence{type = subscribed, from = Inviter, to = Contact},
	    mod_roster:out_subscription(Subscribed),
	    ejabberd_router:route(Subscribed),
	    Subscribe = #presence{type = subscribe, from = Inviter, to = Contact},
	    mod_roster:out_subscription(Subscribe),
	    ejabberd_router:route(Subscribe)
    end.

roster_item(User, Host, Peer) ->
    LJID = jid:tolower(jid:remove_resource(Peer)),
    case lists:keyfind(LJID, #roster.jid, mod_roster:get_roster(User, Host)) of
	#roster{} = Item -> Item;
	false -> #roster{usj = {User, Host, LJID}, us = {User, Host}, jid = LJID}
    end.

both(#jid{luser = User, lserver = Host} = Owner, Peer) ->
    Old = roster_item(User, Host, Peer),
    New = Old#roster{subscription = both, ask = none, askmessage = <<>>},
    {atomic, _} = mod_roster:set_roster(New),
    mod_roster:push_item(Owner, mod_roster:encode_item(Old), mod_roster:encode_item(New)).

%%%===================================================================
%%% XEP-0401 §3, §5: the invite commands on the server's JID
%%%===================================================================
%% Relayed from the user's bare JID, so that the component applies its own
%% permissions, forms and quotas (it sees the user as the requester).
relay(#jid{lserver = Host} = From, #jid{lserver = Host}, Type, Payload) ->
    ask_and_wait(Host, jid:remove_resource(From), Type, Payload);
relay(_From, #jid{lserver = Host}, _Type, _Payload) ->
    {error, xmpp:err_forbidden(<<"Only users of ", Host/binary, " may use these commands here">>, <<"en">>)}.

%% XEP-0050 §2.2: the commands this user may run, as the component lists them.
adhoc_local_items(Acc, From, To, _Lang) ->
    Items = case Acc of {result, I} -> I; _ -> [] end,
    Query = xmpp:encode(#disco_items{node = ?NS_COMMANDS}),
    Relayed = case relay(From, To, get, Query) of
		  {ok, Reply} ->
		      [#disco_item{jid = jid:make(To#jid.lserver), node = Node, name = Name}
		       || #xmlel{name = <<"item">>} = El <- Reply#xmlel.children,
			  {Node, Name} <- [{attr(<<"node">>, El), attr(<<"name">>, El)}],
			  lists:keymember(Node, 1, ?RELAYED)];
		  {error, _} ->
		      []
	      end,
    {result, Items ++ Relayed}.

adhoc_local_commands(Acc, From, To, #adhoc_command{node = Node} = Request) ->
    case lists:keymember(Node, 1, ?RELAYED) of
	false ->
	    Acc;
	true ->
	    case relay(From, To, set, xmpp:encode(Request)) of
		{ok, Reply} -> {stop, xmpp:decode(Reply)};
		{error, _} = Err -> {stop, Err}
	    end
    end.

disco_local_identity(Acc, _From, _To, Node, _Lang) ->
    case lists:keyfind(Node, 1, ?RELAYED) of
	{_, Name} -> [#identity{category = <<"automation">>, type = <<"command-node">>, name = Name} | Acc];
	false -> Acc
    end.

disco_local_features(Acc, _From, _To, Node, _Lang) ->
    case lists:keymember(Node, 1, ?RELAYED) of
	true -> {result, [?NS_COMMANDS, ?NS_XDATA]};
	false -> Acc
    end.

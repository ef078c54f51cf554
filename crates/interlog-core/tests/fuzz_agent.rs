//! Property-based fuzzing of the sans-I/O agent core.
//!
//! `agent_invariants_hold` drives one [`Agent`] through an arbitrary sequence of inputs (up to
//! 60 steps over a handful of connection slots) the way the runtime in `interlog-server` would:
//! connections open and close, apps identify (or fail to), send DACP requests and junk, the
//! user answers the resolver, launched apps connect or fail to start, the ledger's disk runs
//! low, and the clock moves on, firing the timers the agent set (`Effect::SetTimer` minus
//! `Effect::CancelTimer`) in deadline order. A small model built only from the effects checks,
//! after every input:
//!
//! 1. `handle` never panics (proptest catches the panic and shrinks the input);
//! 2. no message goes to a connection that is not open (never connected, or closed by
//!    `Input::Closed` or `Effect::Close`);
//! 3. no instance answers for another: an `intentEvent` goes to the connection identified as
//!    the handler the ledger just recorded (and names the raiser as `originatingApp`), the
//!    raise's `intentResolution.source` is that handler, and a `raiseIntentResultResponse`
//!    goes only to the connection that raised;
//! 4. every raise ends: each recorded raise gets one `raiseIntent(ForContext)Response` and,
//!    if resolved, one `raiseIntentResultResponse` (unless its raiser left first), and its
//!    ledger records come in order (`Raised`, `Resolved`?, `Delivered`?, `Completed`), ending
//!    with `Completed` once every connection is closed and every remaining timer has fired;
//! 5. no request is answered twice, nor answered on a connection that did not send it;
//! 6. one identity, one connection: the agent's instances are those identified on open
//!    connections in the model (`Agent::instances`, `Agent::is_identified`), each on one.
//!
//! Two things the current agent does break invariants 2 and 6; `agent_invariants_hold`
//! tolerates them narrowly (see [`Lenience`]) and an ignored test checks each strictly.
//!
//! The case count defaults to [`DEFAULT_CASES`] and follows `PROPTEST_CASES` when set (e.g.
//! `PROPTEST_CASES=200000 cargo test -p interlog-core --test fuzz_agent`). Failing inputs are
//! kept under `tests/fuzz_corpus/` and replayed first on the next run. `FUZZ_TRACE=1` prints
//! every input and its effects; `FUZZ_STATS_CASES=n` sizes `fuzzer_reaches_deep_states`.

use std::collections::{BTreeMap, HashMap, VecDeque};

use interlog_core::agent::{
    LaunchRequest, LaunchTarget, LedgerEvent, RaiseBudget, ResolverChoice, Transport,
};
use interlog_core::builtin::BUILTIN_APPD;
use interlog_core::directory::Directory;
use interlog_core::ids::CountingIds;
use interlog_core::message::{iso_time, response_type_for, Inbound, Millis};
use interlog_core::{Agent, AgentConfig, ConnId, Effect, Input, Timer};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{
    Config as ProptestConfig, FileFailurePersistence, TestCaseError, TestError, TestRunner,
};
use serde_json::{json, Value};

/// Cases per run unless `PROPTEST_CASES` says otherwise (keeps the debug run short).
const DEFAULT_CASES: u32 = 500;
const MAX_STEPS: usize = 60;
const SLOTS: usize = 6;
/// Where the clock starts (any fixed time will do).
const T0: Millis = 1_700_000_000_000;

// ---------------------------------------------------------------------------------------------
// The world: the directory the agent runs with.
// ---------------------------------------------------------------------------------------------

/// Loaded after the built-in apps, as the runtime does (the scenario tests' directory).
const APPD: &str = r#"{"applications": [
  {"appId": "crm", "title": "CRM", "type": "web", "description": "Customer records",
   "details": {"url": "https://crm.example.com/app"},
   "interop": {"intents": {"listensFor": {
     "CreateInteraction": {"contexts": ["fdc3.interaction", "fdc3.contactList"], "resultType": "fdc3.transactionResult"}}}}},
  {"appId": "chat", "title": "Chat", "type": "web",
   "details": {"url": "https://chat.example.com/"},
   "interop": {"intents": {"raises": {"CreateInteraction": ["fdc3.interaction"]}}}},
  {"appId": "viewer", "title": "Chart viewer", "type": "web",
   "details": {"url": "https://viewer.example.com/charts"},
   "interop": {"intents": {"listensFor": {
     "ViewChart": {"contexts": ["fdc3.instrument"], "resultType": "channel<fdc3.chart>"}}}}},
  {"appId": "dyn", "title": "Dynamic", "type": "web", "details": {"url": "https://dyn.example.com/"}},
  {"appId": "dialer", "title": "Dialer", "type": "native",
   "details": {"path": "/opt/dialer/bin/dialer", "arguments": "--quiet --profile desk"},
   "interop": {"intents": {"listensFor": {"StartCall": {"contexts": ["fdc3.contact"]}}}}}
]}"#;

/// Identity URLs of directory apps (the built-in ones included; crm's also with a slash).
const APP_URLS: [&str; 8] = [
    "https://crm.example.com/app",
    "https://chat.example.com/",
    "https://viewer.example.com/charts",
    "https://dyn.example.com/",
    "https://interlog.local/log",
    "https://interlog.local/cli",
    "https://interlog.local/ui",
    "https://crm.example.com/app/",
];
const BOGUS_URLS: [&str; 6] = [
    "https://evil.example.com/app",
    "https://crm.example.com/other",
    "not a url",
    "",
    "file:///etc/passwd",
    "https://crm.example.com/app/deals?id=7",
];
const APP_IDS: [&str; 9] = [
    "crm",
    "chat",
    "viewer",
    "dyn",
    "dialer",
    "interlog.log",
    "interlog.cli",
    "interlog.ui",
    "nope",
];
/// Weighted towards the intents someone handles.
const INTENTS: [&str; 10] = [
    "CreateInteraction",
    "CreateInteraction",
    "CreateInteraction",
    "CreateInteraction",
    "CreateInteraction",
    "ViewChart",
    "StartCall",
    "dyn.Custom",
    "",
    "NoSuchIntent",
];
const CONTEXT_TYPES: [&str; 5] = [
    "fdc3.interaction",
    "fdc3.contact",
    "fdc3.instrument",
    "fdc3.contactList",
    "other.type",
];
/// Strings worth finding inside junk: protocol names and ids the agent hands out.
const INTERESTING: [&str; 16] = [
    "raiseIntentRequest",
    "addIntentListenerRequest",
    "intentResultRequest",
    "WCP4ValidateAppIdentity",
    "WCP6Goodbye",
    "broadcastRequest",
    "heartbeatAcknowledgementRequest",
    "fdc3.interaction",
    "fdc3.channel.1",
    "id-1",
    "id-2",
    "id-3",
    "id-5",
    "secret-4",
    "crm",
    "https://crm.example.com/app",
];

fn directory() -> Directory {
    let mut d = Directory::new();
    for (name, text) in [("builtin", BUILTIN_APPD), ("test", APPD)] {
        let skipped = d.add_json(name, text).expect("the test directory parses");
        assert!(skipped.is_empty(), "{name}: skipped {skipped:?}");
    }
    d
}

fn interaction() -> Value {
    json!({
        "type": "fdc3.interaction",
        "participants": {"type": "fdc3.contactList", "contacts": [contact()]},
        "interactionType": "Call",
        "timeRange": {"type": "fdc3.timeRange", "startTime": "2025-05-01T08:30:00Z"},
        "description": "Quarterly review call"
    })
}

fn contact() -> Value {
    json!({"type": "fdc3.contact", "name": "Jane Doe", "id": {"email": "jane.doe@mail.com"}})
}

// ---------------------------------------------------------------------------------------------
// What the fuzzer generates. Indices into lists the run builds (identities seen, events
// received, launches, resolver requests) are taken modulo the list's length when the step
// runs, so a shrunk sequence still means something.
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
struct Flags {
    resolver_available: bool,
    launch_web: bool,
    launch_native: bool,
    /// A raise budget small enough to run out (3 a minute, contexts up to 1000 bytes).
    tight_budget: bool,
}

/// Steps with a `who` act on an open connection: `who` picks one (modulo the number open);
/// with none open they do nothing. At most `SLOTS` connections are open at once.
#[derive(Debug, Clone)]
enum Step {
    /// Opens a connection in a free slot (`None`: the runtime did not announce it) and
    /// optionally sends WCP4 at once. A `responsive` app acknowledges every heartbeat at once,
    /// as the official client does.
    Connect {
        transport: Option<Transport>,
        responsive: bool,
        hello: Option<Hello>,
    },
    /// An app the agent launched connects as the runtime starts it: over the transport its
    /// launch is for, quoting the identity it was given (a window's page then loads, or not).
    Launched {
        launch: usize,
        loaded: bool,
    },
    Hello {
        who: usize,
        hello: Hello,
    },
    Request {
        who: usize,
        req: Req,
    },
    /// Anything at all as a message (a request-shaped one when `typed`).
    Junk {
        who: usize,
        typed: Option<usize>,
        msg: Value,
    },
    Goodbye {
        who: usize,
    },
    Close {
        who: usize,
    },
    PageLoaded {
        who: usize,
    },
    Resolver {
        id: Pick,
        choice: Choice,
    },
    LaunchFailed {
        launch: Pick,
    },
    /// The ledger's disk goes below (or back above) its free-space watermark.
    DiskLow {
        low: bool,
    },
    /// Moves the clock on, firing every timer that falls due on the way.
    Advance {
        ms: Millis,
    },
}

#[derive(Debug, Clone)]
struct Hello {
    identity: UrlSel,
    actual: ActualSel,
    claim: Claim,
}

#[derive(Debug, Clone)]
enum UrlSel {
    App(usize),
    Bogus(usize),
    Missing,
    NotString,
}

#[derive(Debug, Clone)]
enum ActualSel {
    Same,
    Missing,
    OtherOrigin,
}

/// instanceId/instanceUuid quoted in WCP4.
#[derive(Debug, Clone)]
enum Claim {
    None,
    /// Both, from one identity seen earlier (a WCP5 answer or a launch).
    Known(usize),
    /// The id of one identity with the secret of another.
    Mixed(usize, usize),
    /// Guessable agent ids (`id-N`, `secret-N`).
    Guess(u8, u8),
}

/// An entry of a list the run builds: a known one (index taken modulo) or garbage.
#[derive(Debug, Clone)]
enum Pick {
    Known(usize),
    Garbage(u8),
}

#[derive(Debug, Clone)]
enum Choice {
    /// Option `n` modulo (options + 1): the last value is out of range.
    Pick(usize),
    /// As `Pick`, and remember the choice for the same question from now on.
    PickAndRemember(usize),
    Cancel,
}

/// An intent name, or (`Natural`) one that fits: for a listener, the one its app declares;
/// for a raise, one a running instance listens for.
#[derive(Debug, Clone)]
enum Intent {
    Named(&'static str),
    Natural(usize),
}

#[derive(Debug, Clone)]
enum Ctx {
    /// The context the raised intent is declared for.
    Fitting,
    Interaction,
    Contact,
    Instrument,
    ContactList,
    /// A valid contact of about 4 KB.
    Large,
    Invalid(usize),
}

#[derive(Debug, Clone)]
enum Target {
    None,
    App(usize),
    /// `{appId, instanceId}` of a known identity.
    Instance(usize),
    /// A known instanceId under another app's id.
    WrongApp(usize, usize),
    NotObject,
}

#[derive(Debug, Clone)]
enum Chan {
    Absent,
    User(u8),
    Private(usize),
    App,
}

#[derive(Debug, Clone)]
enum EventSel {
    /// An intentEvent a connection still open received, answered from that connection.
    Owed(usize),
    /// An intentEvent this connection received.
    Mine(usize),
    /// Any intentEvent of the run (usually someone else's).
    Anyone(usize),
    Garbage(u8),
}

#[derive(Debug, Clone)]
enum ResultSel {
    Void,
    Context(Ctx),
    Channel(Chan),
    Junk(Value),
}

#[derive(Debug, Clone)]
enum Req {
    Raise {
        intent: Intent,
        context: Ctx,
        target: Target,
    },
    RaiseForContext {
        context: Ctx,
        target: Target,
    },
    AddIntentListener {
        intent: Intent,
    },
    IntentResult {
        event: EventSel,
        result: ResultSel,
    },
    AddContextListener {
        channel: Chan,
        context_type: Option<&'static str>,
    },
    JoinUserChannel {
        channel: Chan,
    },
    LeaveCurrentChannel,
    Broadcast {
        context: Ctx,
        channel: Chan,
    },
    CreatePrivateChannel,
    FindInstances {
        target: Target,
    },
    FindIntent {
        intent: Intent,
        context: Ctx,
    },
    Open {
        target: Target,
        context: Option<Ctx>,
    },
    HeartbeatAck,
    GetInfo,
}

/// Request types for request-shaped junk.
const REQUEST_KINDS: [&str; 13] = [
    "WCP4ValidateAppIdentity",
    "raiseIntentRequest",
    "raiseIntentForContextRequest",
    "addIntentListenerRequest",
    "intentResultRequest",
    "addContextListenerRequest",
    "joinUserChannelRequest",
    "broadcastRequest",
    "openRequest",
    "findInstancesRequest",
    "getAppMetadataRequest",
    "privateChannelDisconnectRequest",
    "noSuchRequest",
];

/// Any JSON value (`depth` levels, about `size` nodes at most), with protocol names about.
fn arb_json_sized(depth: u32, size: u32) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        "[a-z.]{0,8}".prop_map(Value::from),
        any::<String>().prop_map(Value::from),
        prop::sample::select(&INTERESTING[..]).prop_map(Value::from),
    ];
    let key = prop_oneof![
        prop::sample::select(
            &[
                "type",
                "payload",
                "meta",
                "requestUuid",
                "appId",
                "instanceId",
                "intent",
                "context",
                "channelId",
                "id",
                "app",
                "applications",
                "details",
                "url",
                "interop",
                "intents",
                "listensFor",
                "contexts",
                "intentEventUuid",
                "intentResult",
                "channel",
            ][..]
        )
        .prop_map(str::to_owned),
        "[a-zA-Z]{0,6}",
    ];
    leaf.prop_recursive(depth, size, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_json() -> impl Strategy<Value = Value> {
    arb_json_sized(4, 48)
}

/// A small JSON value, for the fields of directory records.
fn arb_json_small() -> impl Strategy<Value = Value> {
    arb_json_sized(2, 8)
}

fn arb_ctx() -> impl Strategy<Value = Ctx> {
    prop_oneof![
        4 => Just(Ctx::Fitting),
        3 => Just(Ctx::Interaction),
        2 => Just(Ctx::Contact),
        2 => Just(Ctx::Instrument),
        1 => Just(Ctx::ContactList),
        1 => Just(Ctx::Large),
        2 => (0..INVALID_CONTEXTS).prop_map(Ctx::Invalid),
    ]
}

fn arb_target() -> impl Strategy<Value = Target> {
    prop_oneof![
        10 => Just(Target::None),
        2 => (0..APP_IDS.len()).prop_map(Target::App),
        3 => any::<usize>().prop_map(Target::Instance),
        1 => (any::<usize>(), 0..APP_IDS.len()).prop_map(|(i, a)| Target::WrongApp(i, a)),
        1 => Just(Target::NotObject),
    ]
}

fn arb_chan() -> impl Strategy<Value = Chan> {
    prop_oneof![
        2 => Just(Chan::Absent),
        4 => (1u8..=9).prop_map(Chan::User),
        2 => any::<usize>().prop_map(Chan::Private),
        1 => Just(Chan::App),
    ]
}

fn arb_intent() -> impl Strategy<Value = Intent> {
    prop_oneof![
        3 => any::<usize>().prop_map(Intent::Natural),
        2 => prop::sample::select(&INTENTS[..]).prop_map(Intent::Named),
    ]
}

fn arb_req() -> impl Strategy<Value = Req> {
    prop_oneof![
        12 => (arb_intent(), arb_ctx(), arb_target())
            .prop_map(|(intent, context, target)| Req::Raise { intent, context, target }),
        4 => (arb_ctx(), arb_target())
            .prop_map(|(context, target)| Req::RaiseForContext { context, target }),
        10 => arb_intent().prop_map(|intent| Req::AddIntentListener { intent }),
        12 => (
            prop_oneof![
                8 => any::<usize>().prop_map(EventSel::Owed),
                2 => any::<usize>().prop_map(EventSel::Mine),
                2 => any::<usize>().prop_map(EventSel::Anyone),
                1 => any::<u8>().prop_map(EventSel::Garbage),
            ],
            prop_oneof![
                3 => Just(ResultSel::Void),
                3 => arb_ctx().prop_map(ResultSel::Context),
                1 => arb_chan().prop_map(ResultSel::Channel),
                1 => arb_json().prop_map(ResultSel::Junk),
            ],
        )
            .prop_map(|(event, result)| Req::IntentResult { event, result }),
        3 => (arb_chan(), prop::option::of(prop::sample::select(&CONTEXT_TYPES[..])))
            .prop_map(|(channel, context_type)| Req::AddContextListener { channel, context_type }),
        2 => arb_chan().prop_map(|channel| Req::JoinUserChannel { channel }),
        1 => Just(Req::LeaveCurrentChannel),
        3 => (arb_ctx(), arb_chan()).prop_map(|(context, channel)| Req::Broadcast { context, channel }),
        2 => Just(Req::CreatePrivateChannel),
        1 => arb_target().prop_map(|target| Req::FindInstances { target }),
        1 => (arb_intent(), arb_ctx()).prop_map(|(intent, context)| Req::FindIntent { intent, context }),
        3 => (arb_target(), prop::option::of(arb_ctx()))
            .prop_map(|(target, context)| Req::Open { target, context }),
        5 => Just(Req::HeartbeatAck),
        1 => Just(Req::GetInfo),
    ]
}

fn arb_hello() -> impl Strategy<Value = Hello> {
    let identity = prop_oneof![
        24 => prop::sample::select(&[0usize, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7][..])
            .prop_map(UrlSel::App),
        1 => (0..BOGUS_URLS.len()).prop_map(UrlSel::Bogus),
        1 => Just(UrlSel::Missing),
        1 => Just(UrlSel::NotString),
    ];
    let actual = prop_oneof![
        12 => Just(ActualSel::Same),
        2 => Just(ActualSel::Missing),
        1 => Just(ActualSel::OtherOrigin),
    ];
    let claim = prop_oneof![
        6 => Just(Claim::None),
        4 => any::<usize>().prop_map(Claim::Known),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Claim::Mixed(a, b)),
        1 => (0u8..12, 0u8..12).prop_map(|(a, b)| Claim::Guess(a, b)),
    ];
    (identity, actual, claim).prop_map(|(identity, actual, claim)| Hello {
        identity,
        actual,
        claim,
    })
}

fn arb_pick() -> impl Strategy<Value = Pick> {
    prop_oneof![
        6 => any::<usize>().prop_map(Pick::Known),
        1 => any::<u8>().prop_map(Pick::Garbage),
    ]
}

fn arb_step() -> impl Strategy<Value = Step> {
    let who = 0..SLOTS;
    let transport = prop_oneof![
        8 => Just(Some(Transport::Socket)),
        2 => Just(Some(Transport::InProcess)),
        1 => Just(Some(Transport::Window)),
        1 => Just(None),
    ];
    prop_oneof![
        10 => (transport, prop::bool::weighted(0.8), prop::option::weighted(0.9, arb_hello()))
            .prop_map(|(transport, responsive, hello)| Step::Connect { transport, responsive, hello }),
        2 => (who.clone(), arb_hello()).prop_map(|(who, hello)| Step::Hello { who, hello }),
        3 => (any::<usize>(), prop::bool::weighted(0.7))
            .prop_map(|(launch, loaded)| Step::Launched { launch, loaded }),
        40 => (who.clone(), arb_req()).prop_map(|(who, req)| Step::Request { who, req }),
        3 => (who.clone(), prop::option::of(0..REQUEST_KINDS.len()), arb_json())
            .prop_map(|(who, typed, msg)| Step::Junk { who, typed, msg }),
        1 => who.clone().prop_map(|who| Step::Goodbye { who }),
        3 => who.clone().prop_map(|who| Step::Close { who }),
        2 => who.prop_map(|who| Step::PageLoaded { who }),
        6 => (
            arb_pick(),
            prop_oneof![
                3 => (0usize..6).prop_map(Choice::Pick),
                1 => (0usize..6).prop_map(Choice::PickAndRemember),
                1 => Just(Choice::Cancel),
            ],
        )
            .prop_map(|(id, choice)| Step::Resolver { id, choice }),
        2 => arb_pick().prop_map(|launch| Step::LaunchFailed { launch }),
        1 => prop::bool::weighted(0.3).prop_map(|low| Step::DiskLow { low }),
        8 => prop_oneof![
            6 => 0i64..2_000,
            3 => 0i64..30_000,
            1 => 0i64..400_000,
        ]
        .prop_map(|ms| Step::Advance { ms }),
    ]
}

fn arb_case() -> impl Strategy<Value = (Flags, Vec<Step>)> {
    let flags = (
        prop::bool::weighted(0.85),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.15),
    )
        .prop_map(
            |(resolver_available, launch_web, launch_native, tight_budget)| Flags {
                resolver_available,
                launch_web,
                launch_native,
                tight_budget,
            },
        );
    (flags, prop::collection::vec(arb_step(), 0..=MAX_STEPS))
}

// Payloads from selections.

const INVALID_CONTEXTS: usize = 7;

fn invalid_context(n: usize) -> Value {
    match n % INVALID_CONTEXTS {
        0 => json!({"type": 5}),
        1 => json!({"name": "no type"}),
        2 => json!("fdc3.contact"),
        3 => Value::Null,
        4 => json!({"type": "fdc3.interaction", "description": "no participants"}),
        5 => json!({"type": "fdc3.instrument", "id": "not an object"}),
        _ => json!([{"type": "fdc3.contact"}]),
    }
}

/// The intent a listener of `app_id` would add (the one its app declares).
fn declared_intent(app_id: &str) -> &'static str {
    match app_id {
        "crm" | "interlog.log" => "CreateInteraction",
        "viewer" => "ViewChart",
        "dialer" => "StartCall",
        _ => "dyn.Custom",
    }
}

fn context(c: &Ctx) -> Value {
    context_for(c, None)
}

fn context_for(c: &Ctx, intent: Option<&str>) -> Value {
    match c {
        Ctx::Fitting => match intent {
            Some("ViewChart") => context_for(&Ctx::Instrument, None),
            Some("StartCall") => contact(),
            _ => interaction(),
        },
        Ctx::Interaction => interaction(),
        Ctx::Contact => contact(),
        Ctx::Instrument => json!({"type": "fdc3.instrument", "id": {"ticker": "AAPL"}}),
        Ctx::ContactList => json!({"type": "fdc3.contactList", "contacts": [contact()]}),
        Ctx::Large => {
            json!({"type": "fdc3.contact", "name": "x".repeat(4000), "id": {"email": "big@mail.com"}})
        }
        Ctx::Invalid(n) => invalid_context(*n),
    }
}

// ---------------------------------------------------------------------------------------------
// The model and the checks.
// ---------------------------------------------------------------------------------------------

/// Relaxations of the invariants, for what the agent once did that they forbid (both fixed:
/// `agent_invariants_hold` now runs strictly; each was found by this fuzzer, and the tests
/// named after them replay the shrunk cases).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lenience {
    /// Invariant 2: the answer to a request (a raise, its result, an `open`) whose requester's
    /// connection closed meanwhile still goes to that connection (the runtime drops it). Only
    /// responses quoting a request that connection really sent are tolerated, and only once it
    /// closed; events, and anything to a connection that never existed, still fail.
    answers_to_departed: bool,
    /// Invariant 6: a second window connection quoting a launched instance's identity while
    /// the first still holds it (a page reloaded before its launch completed) is admitted as
    /// the same instance, so two connections hold one identity. Not tolerated in the checks:
    /// such a WCP4 (a window's, naming an instance an open connection holds) is not sent.
    no_second_window_claims: bool,
}

const STRICT: Lenience = Lenience {
    answers_to_departed: false,
    no_second_window_claims: false,
};

#[derive(Debug, Default)]
struct ConnModel {
    open: bool,
    responsive: bool,
    transport: Option<Transport>,
    /// (appId, instanceId) from the WCP5 it was sent, until the instance ends.
    identity: Option<(String, String)>,
    events: Vec<Value>,
    last_heartbeat: Option<String>,
}

#[derive(Debug, Default)]
struct RaiseModel {
    key: Option<String>,
    raiser_app: String,
    raiser_instance: String,
    /// (handler app, handler instance) from the raise's `Resolved` record.
    handler: Option<(Option<String>, Option<String>)>,
    responses: usize,
    success: bool,
    results: usize,
    /// Whether the raiser's connection was open when the raise was recorded `Completed`
    /// (`None`: not completed yet).
    ended_with_raiser_open: Option<bool>,
}

#[derive(Debug, Default, Clone)]
struct Stats {
    /// How raises and their results ended, by FDC3 error (or `resolved` / `result`).
    outcomes: BTreeMap<String, u64>,
    inputs: u64,
    identified: u64,
    reclaimed: u64,
    raises: u64,
    delivered: u64,
    results: u64,
    resolver_shown: u64,
    resolver_answered: u64,
    launches: u64,
    agent_closes: u64,
    departed_answers: u64,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.inputs += o.inputs;
        self.identified += o.identified;
        self.reclaimed += o.reclaimed;
        self.raises += o.raises;
        self.delivered += o.delivered;
        self.results += o.results;
        self.resolver_shown += o.resolver_shown;
        self.resolver_answered += o.resolver_answered;
        self.launches += o.launches;
        self.agent_closes += o.agent_closes;
        self.departed_answers += o.departed_answers;
        for (k, n) in &o.outcomes {
            *self.outcomes.entry(k.clone()).or_default() += n;
        }
    }

    fn outcome(&mut self, what: &str, msg: &Value) {
        let how = msg["payload"]["error"].as_str().unwrap_or("ok");
        *self.outcomes.entry(format!("{what}: {how}")).or_default() += 1;
    }
}

/// What one batch of effects has said so far (effects are checked in order).
#[derive(Default)]
struct Batch {
    /// The conn whose message is being handled.
    from: Option<ConnId>,
    /// The raise key most recently recorded as resolved to a handler in this batch.
    last_resolved: Option<String>,
    /// Heartbeat acknowledgements responsive apps send back: (conn, heartbeatEvent uuid).
    acks: Vec<(ConnId, String)>,
}

macro_rules! check {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(TestCaseError::fail(format!($($fmt)+)));
        }
    };
}

type Checked<T = ()> = Result<T, TestCaseError>;

struct Harness {
    agent: Agent,
    /// `FUZZ_TRACE=1`: print every input and its effects (to follow a failing case).
    trace: bool,
    lenience: Lenience,
    now: Millis,
    next_conn: u64,
    next_request: u64,
    slots: [Option<ConnId>; SLOTS],
    conns: HashMap<ConnId, ConnModel>,
    /// (at, order set, timer), as the runtime's timer queue keeps them.
    timers: Vec<(Millis, u64, Timer)>,
    timer_seq: u64,
    /// (appId, instanceId, instanceUuid) from WCP5 answers and launches.
    identities: Vec<(String, String, String)>,
    launches: Vec<LaunchRequest>,
    resolver_ids: Vec<String>,
    /// The resolver request shown: (id, number of options).
    resolver_shown: Option<(String, usize)>,
    /// Every intentEvent sent, with the connection it went to.
    all_events: Vec<(ConnId, Value)>,
    private_channels: Vec<String>,
    /// Request types each connection sent under each requestUuid.
    requests: HashMap<(ConnId, String), Vec<String>>,
    responses: HashMap<(ConnId, String, String), usize>,
    /// By the raiser's connection and the raise's requestUuid.
    raises: HashMap<(ConnId, String), RaiseModel>,
    raise_by_key: HashMap<String, (ConnId, String)>,
    /// The ledger records of each raise, in order.
    ledger: BTreeMap<String, Vec<&'static str>>,
    stats: Stats,
}

fn is_raise(kind: &str) -> bool {
    kind == "raiseIntentRequest" || kind == "raiseIntentForContextRequest"
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

impl Harness {
    fn new(flags: Flags, lenience: Lenience) -> Checked<Harness> {
        let config = AgentConfig {
            resolver_available: flags.resolver_available,
            launch_web: flags.launch_web,
            launch_native: flags.launch_native,
            raise_budget: if flags.tight_budget {
                RaiseBudget {
                    per_minute: 3,
                    max_context_bytes: 1000,
                }
            } else {
                RaiseBudget::default()
            },
            ..AgentConfig::default()
        };
        let mut agent = Agent::new(config, directory(), Box::new(CountingIds::default()));
        let start = agent.start(T0);
        let mut h = Harness {
            agent,
            trace: std::env::var_os("FUZZ_TRACE").is_some(),
            lenience,
            now: T0,
            next_conn: 0,
            next_request: 0,
            slots: Default::default(),
            conns: HashMap::new(),
            timers: Vec::new(),
            timer_seq: 0,
            identities: Vec::new(),
            launches: Vec::new(),
            resolver_ids: Vec::new(),
            resolver_shown: None,
            all_events: Vec::new(),
            private_channels: Vec::new(),
            requests: HashMap::new(),
            responses: HashMap::new(),
            raises: HashMap::new(),
            raise_by_key: HashMap::new(),
            ledger: BTreeMap::new(),
            stats: Stats::default(),
        };
        h.absorb(start, &mut Batch::default())?;
        Ok(h)
    }

    // --- Driving the agent -------------------------------------------------------------------

    /// Hands `input` to the agent and checks its effects; a connection the agent closes is
    /// then reported closed, as the runtime does.
    fn feed(&mut self, input: Input) -> Checked {
        let mut queue = VecDeque::from([input]);
        while let Some(input) = queue.pop_front() {
            let mut batch = Batch::default();
            match &input {
                Input::Message { conn, msg } => {
                    batch.from = Some(*conn);
                    self.note_request(*conn, msg);
                }
                Input::Closed { conn } => self.mark_closed(*conn),
                _ => {}
            }
            self.stats.inputs += 1;
            if self.trace {
                eprintln!("@{} {input:?}", self.now - T0);
            }
            let effects = self.agent.handle(input, self.now);
            if self.trace {
                for e in &effects {
                    eprintln!("    {e:?}");
                }
            }
            for conn in self.absorb(effects, &mut batch)? {
                queue.push_back(Input::Closed { conn });
            }
            for (conn, event_uuid) in batch.acks {
                if self.conns.get(&conn).is_some_and(|c| c.open) {
                    let uuid = self.fresh_request_uuid();
                    let msg = json!({
                        "type": "heartbeatAcknowledgementRequest",
                        "payload": {"heartbeatEventUuid": event_uuid},
                        "meta": {"requestUuid": uuid, "timestamp": iso_time(self.now)},
                    });
                    queue.push_back(Input::Message { conn, msg });
                }
            }
            self.cross_check()?;
        }
        Ok(())
    }

    /// Moves the clock to `target`, firing due timers in deadline order, each at its time.
    fn advance_to(&mut self, target: Millis) -> Checked {
        loop {
            let due = self
                .timers
                .iter()
                .enumerate()
                .filter(|(_, (at, _, _))| *at <= target)
                .min_by_key(|(_, (at, seq, _))| (*at, *seq))
                .map(|(i, _)| i);
            let Some(i) = due else { break };
            let (at, _, timer) = self.timers.remove(i);
            self.now = self.now.max(at);
            self.feed(Input::Timer(timer))?;
        }
        self.now = self.now.max(target);
        Ok(())
    }

    fn mark_closed(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.open = false;
            c.identity = None;
        }
        for s in self.slots.iter_mut() {
            if *s == Some(conn) {
                *s = None;
            }
        }
    }

    /// Notes the requests a connection sends (and that WCP6Goodbye ends its instance).
    fn note_request(&mut self, conn: ConnId, msg: &Value) {
        let Ok(inbound) = Inbound::parse(msg.clone()) else {
            return;
        };
        if inbound.kind == "WCP6Goodbye" {
            if let Some(c) = self.conns.get_mut(&conn) {
                c.identity = None;
            }
        }
        let Some(uuid) = inbound.request_uuid().map(str::to_owned) else {
            return;
        };
        if is_raise(&inbound.kind) {
            self.raises.entry((conn, uuid.clone())).or_default();
        }
        self.requests
            .entry((conn, uuid))
            .or_default()
            .push(inbound.kind);
    }

    /// The `who`-th open connection (modulo), if any is open.
    fn open_conn(&self, who: usize) -> Option<ConnId> {
        let open: Vec<ConnId> = self.slots.iter().flatten().copied().collect();
        (!open.is_empty()).then(|| open[who % open.len()])
    }

    fn fresh_request_uuid(&mut self) -> String {
        self.next_request += 1;
        format!("req-{}", self.next_request)
    }

    fn request(&mut self, conn: ConnId, kind: &str, payload: Value) -> Checked {
        let uuid = self.fresh_request_uuid();
        let msg = json!({
            "type": kind,
            "payload": payload,
            "meta": {"requestUuid": uuid, "timestamp": iso_time(self.now)},
        });
        self.feed(Input::Message { conn, msg })
    }

    fn run(&mut self, step: &Step) -> Checked {
        match step {
            Step::Connect {
                transport,
                responsive,
                hello,
            } => {
                let Some(conn) = self.connect(*transport, *responsive)? else {
                    return Ok(());
                };
                if let Some(hello) = hello {
                    self.hello(conn, hello)?;
                }
            }
            Step::Launched { launch, loaded } => {
                let Some(l) = (!self.launches.is_empty())
                    .then(|| self.launches[launch % self.launches.len()].clone())
                else {
                    return Ok(());
                };
                let transport = l.target.transport();
                let Some(conn) = self.connect(Some(transport), true)? else {
                    return Ok(());
                };
                if self.skips_second_window_claim(conn, &l.instance_id) {
                    return Ok(());
                }
                let mut payload =
                    json!({"instanceId": l.instance_id, "instanceUuid": l.instance_uuid});
                if let LaunchTarget::Web { url, .. } = &l.target {
                    payload["identityUrl"] = json!(url);
                    payload["actualUrl"] = json!(url);
                }
                let msg = json!({
                    "type": "WCP4ValidateAppIdentity",
                    "payload": payload,
                    "meta": {"connectionAttemptUuid": format!("attempt-{}", conn.0), "timestamp": iso_time(self.now)},
                });
                self.feed(Input::Message { conn, msg })?;
                if *loaded && transport == Transport::Window {
                    self.feed(Input::PageLoaded { conn })?;
                }
            }
            Step::Hello { who, hello } => {
                if let Some(conn) = self.open_conn(*who) {
                    self.hello(conn, hello)?;
                }
            }
            Step::Request { who, req } => {
                if let Some(conn) = self.open_conn(*who) {
                    self.dacp(conn, req)?;
                }
            }
            Step::Junk { who, typed, msg } => {
                if let Some(conn) = self.open_conn(*who) {
                    let msg = match typed {
                        None => msg.clone(),
                        Some(k) => {
                            let uuid = self.fresh_request_uuid();
                            json!({
                                "type": REQUEST_KINDS[*k % REQUEST_KINDS.len()],
                                "payload": msg,
                                "meta": {"requestUuid": uuid},
                            })
                        }
                    };
                    self.feed(Input::Message { conn, msg })?;
                }
            }
            Step::Goodbye { who } => {
                if let Some(conn) = self.open_conn(*who) {
                    let msg = json!({"type": "WCP6Goodbye", "payload": {}, "meta": {"timestamp": iso_time(self.now)}});
                    self.feed(Input::Message { conn, msg })?;
                }
            }
            Step::Close { who } => {
                if let Some(conn) = self.open_conn(*who) {
                    self.feed(Input::Closed { conn })?;
                }
            }
            Step::PageLoaded { who } => {
                if let Some(conn) = self.open_conn(*who) {
                    self.feed(Input::PageLoaded { conn })?;
                }
            }
            Step::Resolver { id, choice } => {
                let (id, options) = match id {
                    Pick::Known(n) => match (&self.resolver_shown, self.resolver_ids.len()) {
                        // Mostly the request on screen; otherwise any seen one (stale).
                        (Some((id, options)), _) if n % 4 != 3 => (id.clone(), *options),
                        (_, 0) => return Ok(()),
                        (_, len) => (self.resolver_ids[n % len].clone(), 3),
                    },
                    Pick::Garbage(g) => (format!("id-{g}"), 2),
                };
                let choice = match choice {
                    Choice::Pick(n) => ResolverChoice::Pick {
                        option: n % (options + 1),
                    },
                    Choice::PickAndRemember(n) => ResolverChoice::PickAndRemember {
                        option: n % (options + 1),
                    },
                    Choice::Cancel => ResolverChoice::Cancel,
                };
                self.stats.resolver_answered += 1;
                self.feed(Input::Resolver { id, choice })?;
            }
            Step::LaunchFailed { launch } => {
                let launch_id = match launch {
                    Pick::Known(n) if !self.launches.is_empty() => {
                        self.launches[n % self.launches.len()].launch_id.clone()
                    }
                    Pick::Known(_) => return Ok(()),
                    Pick::Garbage(g) => format!("id-{g}"),
                };
                self.feed(Input::LaunchFailed {
                    launch_id,
                    reason: "could not start".into(),
                })?;
            }
            Step::DiskLow { low } => self.feed(Input::DiskLow { low: *low })?,
            Step::Advance { ms } => self.advance_to(self.now + ms)?,
        }
        Ok(())
    }

    /// Whether to hold back a WCP4 from window `conn` claiming `instance_id`, which another
    /// open connection holds (see `Lenience::no_second_window_claims`).
    fn skips_second_window_claim(&self, conn: ConnId, instance_id: &str) -> bool {
        self.lenience.no_second_window_claims
            && self.conns[&conn].transport == Some(Transport::Window)
            && self.conns.iter().any(|(c, m)| {
                *c != conn && m.open && m.identity.as_ref().is_some_and(|i| i.1 == instance_id)
            })
    }

    /// Opens a connection in a free slot (none free: `None`).
    fn connect(
        &mut self,
        transport: Option<Transport>,
        responsive: bool,
    ) -> Checked<Option<ConnId>> {
        let Some(slot) = self.slots.iter().position(Option::is_none) else {
            return Ok(None);
        };
        self.next_conn += 1;
        let conn = ConnId(self.next_conn);
        self.slots[slot] = Some(conn);
        self.conns.insert(
            conn,
            ConnModel {
                open: true,
                responsive,
                transport,
                ..ConnModel::default()
            },
        );
        if let Some(transport) = transport {
            self.feed(Input::Connected { conn, transport })?;
        }
        Ok(Some(conn))
    }

    fn identity(&self, n: usize) -> Option<&(String, String, String)> {
        (!self.identities.is_empty()).then(|| &self.identities[n % self.identities.len()])
    }

    fn hello(&mut self, conn: ConnId, hello: &Hello) -> Checked {
        let mut payload = serde_json::Map::new();
        let identity = match &hello.identity {
            UrlSel::App(n) => Some(json!(APP_URLS[n % APP_URLS.len()])),
            UrlSel::Bogus(n) => Some(json!(BOGUS_URLS[n % BOGUS_URLS.len()])),
            UrlSel::Missing => None,
            UrlSel::NotString => Some(json!(42)),
        };
        let actual = match (&hello.actual, &identity) {
            (ActualSel::Same, Some(v)) => Some(v.clone()),
            (ActualSel::OtherOrigin, _) => Some(json!("https://elsewhere.example.net/")),
            _ => None,
        };
        if let Some(v) = identity {
            payload.insert("identityUrl".into(), v);
        }
        if let Some(v) = actual {
            payload.insert("actualUrl".into(), v);
        }
        let claim = match &hello.claim {
            Claim::None => None,
            Claim::Known(n) => self.identity(*n).map(|(_, i, u)| (i.clone(), u.clone())),
            Claim::Mixed(a, b) => match (self.identity(*a), self.identity(*b)) {
                (Some((_, i, _)), Some((_, _, u))) => Some((i.clone(), u.clone())),
                _ => None,
            },
            Claim::Guess(a, b) => Some((format!("id-{a}"), format!("secret-{b}"))),
        };
        if let Some((id, _)) = &claim {
            if self.skips_second_window_claim(conn, id) {
                return Ok(());
            }
        }
        if let Some((id, uuid)) = claim {
            payload.insert("instanceId".into(), json!(id));
            payload.insert("instanceUuid".into(), json!(uuid));
        }
        let msg = json!({
            "type": "WCP4ValidateAppIdentity",
            "payload": payload,
            "meta": {"connectionAttemptUuid": format!("attempt-{}", conn.0), "timestamp": iso_time(self.now)},
        });
        self.feed(Input::Message { conn, msg })
    }

    fn raised_intent(&self, intent: &Intent) -> String {
        match intent {
            Intent::Named(i) => (*i).to_owned(),
            Intent::Natural(n) => {
                let listened: Vec<String> = self
                    .agent
                    .instances()
                    .into_iter()
                    .flat_map(|i| i.intents)
                    .collect();
                match listened.len() {
                    0 => "CreateInteraction".to_owned(),
                    len => listened[n % len].clone(),
                }
            }
        }
    }

    fn target(&self, t: &Target) -> Option<Value> {
        match t {
            Target::None => None,
            Target::App(n) => Some(json!({"appId": APP_IDS[n % APP_IDS.len()]})),
            Target::Instance(n) => Some(match self.identity(*n) {
                Some((app, id, _)) => json!({"appId": app, "instanceId": id}),
                None => json!({"appId": "crm", "instanceId": "id-1"}),
            }),
            Target::WrongApp(n, a) => {
                let id = self.identity(*n).map_or("id-2", |(_, i, _)| i.as_str());
                Some(json!({"appId": APP_IDS[a % APP_IDS.len()], "instanceId": id}))
            }
            Target::NotObject => Some(json!("crm")),
        }
    }

    fn channel(&self, c: &Chan) -> Option<String> {
        match c {
            Chan::Absent => None,
            Chan::User(n) => Some(format!("fdc3.channel.{n}")),
            Chan::Private(n) if !self.private_channels.is_empty() => {
                Some(self.private_channels[n % self.private_channels.len()].clone())
            }
            Chan::Private(n) => Some(format!("private.id-{}", n % 16)),
            Chan::App => Some("app.shared".into()),
        }
    }

    fn dacp(&mut self, conn: ConnId, req: &Req) -> Checked {
        match req {
            Req::Raise {
                intent,
                context: c,
                target,
            } => {
                let intent = self.raised_intent(intent);
                let mut payload =
                    json!({"intent": intent, "context": context_for(c, Some(&intent))});
                if let Some(app) = self.target(target) {
                    payload["app"] = app;
                }
                self.request(conn, "raiseIntentRequest", payload)
            }
            Req::RaiseForContext { context: c, target } => {
                let mut payload = json!({"context": context(c)});
                if let Some(app) = self.target(target) {
                    payload["app"] = app;
                }
                self.request(conn, "raiseIntentForContextRequest", payload)
            }
            Req::AddIntentListener { intent } => {
                let intent = match intent {
                    Intent::Named(i) => i,
                    Intent::Natural(_) => {
                        let app = self.conns[&conn].identity.as_ref().map(|i| i.0.as_str());
                        declared_intent(app.unwrap_or_default())
                    }
                };
                self.request(conn, "addIntentListenerRequest", json!({"intent": intent}))
            }
            Req::IntentResult { event, result } => {
                // The handler answering an event it got: from that event's connection.
                let owed: Vec<&(ConnId, Value)> = self
                    .all_events
                    .iter()
                    .filter(|(c, _)| self.conns[c].open)
                    .collect();
                let (conn, event) = match event {
                    EventSel::Owed(n) if !owed.is_empty() => {
                        let (c, e) = owed[n % owed.len()];
                        (
                            *c,
                            EventSel::Mine(
                                self.conns[c]
                                    .events
                                    .iter()
                                    .position(|x| x == e)
                                    .unwrap_or(0),
                            ),
                        )
                    }
                    EventSel::Owed(n) => (conn, EventSel::Mine(*n)),
                    other => (conn, other.clone()),
                };
                let mine = &self.conns[&conn].events;
                let (event_uuid, raise_uuid) = match event {
                    EventSel::Mine(n) if !mine.is_empty() => {
                        let e = &mine[n % mine.len()];
                        (
                            e["meta"]["eventUuid"].clone(),
                            e["payload"]["raiseIntentRequestUuid"].clone(),
                        )
                    }
                    EventSel::Anyone(n) if !self.all_events.is_empty() => {
                        let (_, e) = &self.all_events[n % self.all_events.len()];
                        (
                            e["meta"]["eventUuid"].clone(),
                            e["payload"]["raiseIntentRequestUuid"].clone(),
                        )
                    }
                    EventSel::Mine(n) | EventSel::Anyone(n) | EventSel::Owed(n) => {
                        (json!(format!("id-{}", n % 16)), json!("req-1"))
                    }
                    EventSel::Garbage(g) => (json!(format!("id-{g}")), json!(format!("req-{g}"))),
                };
                let intent_result = match result {
                    ResultSel::Void => json!({}),
                    ResultSel::Context(c) => json!({"context": context(c)}),
                    ResultSel::Channel(c) => {
                        let id = self.channel(c);
                        json!({"channel": {"id": id, "type": "private"}})
                    }
                    ResultSel::Junk(v) => v.clone(),
                };
                self.request(
                    conn,
                    "intentResultRequest",
                    json!({
                        "intentEventUuid": event_uuid,
                        "raiseIntentRequestUuid": raise_uuid,
                        "intentResult": intent_result,
                    }),
                )
            }
            Req::AddContextListener {
                channel,
                context_type,
            } => {
                let payload =
                    json!({"channelId": self.channel(channel), "contextType": context_type});
                self.request(conn, "addContextListenerRequest", payload)
            }
            Req::JoinUserChannel { channel } => {
                let payload = json!({"channelId": self.channel(channel)});
                self.request(conn, "joinUserChannelRequest", payload)
            }
            Req::LeaveCurrentChannel => self.request(conn, "leaveCurrentChannelRequest", json!({})),
            Req::Broadcast {
                context: c,
                channel,
            } => {
                let payload = json!({"channelId": self.channel(channel), "context": context(c)});
                self.request(conn, "broadcastRequest", payload)
            }
            Req::CreatePrivateChannel => {
                self.request(conn, "createPrivateChannelRequest", json!({}))
            }
            Req::FindInstances { target } => {
                let payload = json!({"app": self.target(target)});
                self.request(conn, "findInstancesRequest", payload)
            }
            Req::FindIntent { intent, context: c } => {
                let intent = self.raised_intent(intent);
                let payload = json!({"intent": intent, "context": context_for(c, Some(&intent))});
                self.request(conn, "findIntentRequest", payload)
            }
            Req::Open { target, context: c } => {
                let mut payload = json!({"app": self.target(target)});
                if let Some(c) = c {
                    payload["context"] = context(c);
                }
                self.request(conn, "openRequest", payload)
            }
            Req::HeartbeatAck => {
                let uuid = self.conns[&conn].last_heartbeat.clone().unwrap_or_default();
                self.request(
                    conn,
                    "heartbeatAcknowledgementRequest",
                    json!({"heartbeatEventUuid": uuid}),
                )
            }
            Req::GetInfo => self.request(conn, "getInfoRequest", json!({})),
        }
    }

    // --- Checking effects --------------------------------------------------------------------

    /// Checks a batch of effects in order and updates the model; returns the connections the
    /// agent closed.
    fn absorb(&mut self, effects: Vec<Effect>, batch: &mut Batch) -> Checked<Vec<ConnId>> {
        let mut closed = Vec::new();
        for effect in effects {
            match effect {
                Effect::Send { conn, msg } => self.on_send(conn, &msg, batch)?,
                Effect::Close { conn, .. } => {
                    if self.conns.get(&conn).is_some_and(|c| c.open) {
                        self.mark_closed(conn);
                        self.stats.agent_closes += 1;
                        closed.push(conn);
                    }
                }
                Effect::Record(event) => self.on_record(&event, batch)?,
                // Remembered choices change how later raises resolve; the invariants hold either way.
                Effect::RememberedChanged(_) => {}
                Effect::ResolverChanged(view) => {
                    self.resolver_shown = view.map(|v| {
                        let options = v.apps.iter().map(|a| a.options.len()).sum();
                        if !self.resolver_ids.contains(&v.id) {
                            self.resolver_ids.push(v.id.clone());
                            self.stats.resolver_shown += 1;
                        }
                        (v.id, options)
                    });
                }
                Effect::Launch(launch) => {
                    self.stats.launches += 1;
                    self.identities.push((
                        launch.app_id.clone(),
                        launch.instance_id.clone(),
                        launch.instance_uuid.clone(),
                    ));
                    self.launches.push(launch);
                }
                Effect::SetTimer { at_ms, timer } => {
                    self.timer_seq += 1;
                    self.timers.push((at_ms, self.timer_seq, timer));
                }
                Effect::CancelTimer(timer) => self.timers.retain(|(_, _, t)| *t != timer),
            }
        }
        Ok(closed)
    }

    fn on_send(&mut self, conn: ConnId, msg: &Value, batch: &mut Batch) -> Checked {
        let kind = msg["type"].as_str().unwrap_or("<no type>").to_owned();
        let request_uuid = str_at(msg, "/meta/requestUuid").map(str::to_owned);
        // Invariant 2: only open connections are written to.
        let Some(c) = self.conns.get(&conn) else {
            return Err(TestCaseError::fail(format!(
                "[inv 2] {kind} sent to conn {}, which never connected: {msg}",
                conn.0
            )));
        };
        if !c.open {
            let answer_to_own_request = request_uuid
                .as_ref()
                .is_some_and(|u| self.requests.contains_key(&(conn, u.clone())));
            check!(
                self.lenience.answers_to_departed && answer_to_own_request,
                "[inv 2] {kind} sent to conn {}, which is closed: {msg}",
                conn.0
            );
            self.stats.departed_answers += 1;
        }
        if let Some(uuid) = &request_uuid {
            self.on_response(conn, &kind, uuid, msg)?;
        }
        match kind.as_str() {
            "WCP5ValidateAppIdentityResponse" => self.on_identified(conn, msg)?,
            "intentEvent" => self.on_intent_event(conn, msg, batch)?,
            "heartbeatEvent" => {
                let uuid = str_at(msg, "/meta/eventUuid")
                    .unwrap_or_default()
                    .to_owned();
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.last_heartbeat = Some(uuid.clone());
                    if c.responsive {
                        batch.acks.push((conn, uuid));
                    }
                }
            }
            "createPrivateChannelResponse" => {
                if let Some(id) = str_at(msg, "/payload/privateChannel/id") {
                    self.private_channels.push(id.to_owned());
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn on_identified(&mut self, conn: ConnId, msg: &Value) -> Checked {
        let p = &msg["payload"];
        let (Some(app), Some(id), Some(uuid)) = (
            str_at(p, "/appId"),
            str_at(p, "/instanceId"),
            str_at(p, "/instanceUuid"),
        ) else {
            return Err(TestCaseError::fail(format!("WCP5 without identity: {msg}")));
        };
        let (app, id, uuid) = (app.to_owned(), id.to_owned(), uuid.to_owned());
        // Invariant 6: one identity, one open connection.
        let holder = self
            .conns
            .iter()
            .find(|(c, m)| **c != conn && m.open && m.identity.as_ref().is_some_and(|x| x.1 == id));
        check!(
            holder.is_none(),
            "[inv 6] conn {} identified as {app}/{id}, which conn {} still holds",
            conn.0,
            holder.map_or(0, |(c, _)| c.0)
        );
        let c = self.conns.get_mut(&conn).expect("checked open");
        check!(
            c.identity.is_none(),
            "[inv 6] conn {} identified twice (was {:?}, now {app}/{id})",
            conn.0,
            c.identity
        );
        c.identity = Some((app.clone(), id.clone()));
        self.stats.identified += 1;
        if self
            .identities
            .iter()
            .any(|(_, i, u)| *i == id && *u == uuid)
        {
            self.stats.reclaimed += 1;
        } else {
            self.identities.push((app, id, uuid));
        }
        Ok(())
    }

    /// Invariant 3 (intentEvent): it goes to the handler just recorded as `Resolved`, on the
    /// connection identified as that handler, and names the raiser as `originatingApp`.
    fn on_intent_event(&mut self, conn: ConnId, msg: &Value, batch: &mut Batch) -> Checked {
        let Some(key) = batch.last_resolved.clone() else {
            return Err(TestCaseError::fail(format!(
                "[inv 3] intentEvent to conn {} without a Resolved record before it: {msg}",
                conn.0
            )));
        };
        let raise_ref = self.raise_by_key.get(&key).cloned();
        let raise = raise_ref.as_ref().and_then(|r| self.raises.get(r));
        let Some(raise) = raise else {
            return Err(TestCaseError::fail(format!(
                "[inv 3] intentEvent for unknown raise {key}"
            )));
        };
        let here = self.conns[&conn].identity.clone();
        let handler = raise.handler.clone().unwrap_or_default();
        check!(
            here.is_some()
                && handler.0.as_deref() == here.as_ref().map(|h| h.0.as_str())
                && handler.1.as_deref() == here.as_ref().map(|h| h.1.as_str()),
            "[inv 3] intentEvent of raise {key} for handler {handler:?} sent to conn {}, identified as {here:?}",
            conn.0
        );
        let (_, raise_uuid) = raise_ref.expect("found above");
        check!(
            str_at(msg, "/payload/raiseIntentRequestUuid") == Some(raise_uuid.as_str())
                && str_at(msg, "/payload/originatingApp/instanceId")
                    == Some(raise.raiser_instance.as_str())
                && str_at(msg, "/payload/originatingApp/appId") == Some(raise.raiser_app.as_str()),
            "[inv 3] intentEvent of raise {key} misnames its raise or raiser ({}/{}): {msg}",
            raise.raiser_app,
            raise.raiser_instance
        );
        if let Some(c) = self.conns.get_mut(&conn) {
            c.events.push(msg.clone());
        }
        self.all_events.push((conn, msg.clone()));
        self.stats.delivered += 1;
        Ok(())
    }

    /// Invariant 5: a response quotes a request this connection sent, of the matching type,
    /// and no request is answered more often than it was sent. Invariants 3 and 4 for the
    /// raise responses.
    fn on_response(&mut self, conn: ConnId, kind: &str, uuid: &str, msg: &Value) -> Checked {
        let sent = self
            .requests
            .get(&(conn, uuid.to_owned()))
            .cloned()
            .unwrap_or_default();
        let answers = |k: &String| {
            response_type_for(k).as_deref() == Some(kind)
                || (kind == "raiseIntentResultResponse" && is_raise(k))
        };
        let asked = sent.iter().filter(|k| answers(k)).count();
        check!(
            asked > 0,
            "[inv {}] {kind} to conn {} quotes requestUuid {uuid}, which it never sent as such a request (it sent {sent:?}): {msg}",
            if kind == "raiseIntentResultResponse" { 3 } else { 5 },
            conn.0
        );
        let n = self
            .responses
            .entry((conn, kind.to_owned(), uuid.to_owned()))
            .or_default();
        *n += 1;
        check!(
            *n <= asked,
            "[inv 5] {kind} number {n} to conn {} for requestUuid {uuid} (sent {asked} time(s)): {msg}",
            conn.0
        );
        let raise_key = (conn, uuid.to_owned());
        match kind {
            "raiseIntentResponse" | "raiseIntentForContextResponse" => {
                let raise = self.raises.entry(raise_key).or_default();
                raise.responses += 1;
                check!(
                    raise.responses == 1,
                    "[inv 4] raise {uuid} of conn {} answered {} times",
                    conn.0,
                    raise.responses
                );
                self.stats.outcome("raise", msg);
                if let Some(source) = msg.pointer("/payload/intentResolution/source") {
                    raise.success = true;
                    self.stats.raises += 1;
                    let handler = raise.handler.clone().unwrap_or_default();
                    check!(
                        source.get("instanceId").and_then(Value::as_str) == handler.1.as_deref()
                            && source.get("appId").and_then(Value::as_str) == handler.0.as_deref(),
                        "[inv 3] raise {uuid} resolved to {source} but the ledger says {handler:?}"
                    );
                }
            }
            "raiseIntentResultResponse" => {
                let raise = self.raises.entry(raise_key).or_default();
                check!(
                    raise.success,
                    "[inv 4] raiseIntentResultResponse for raise {uuid} of conn {}, which was not resolved successfully: {msg}",
                    conn.0
                );
                raise.results += 1;
                check!(
                    raise.results == 1,
                    "[inv 4] raise {uuid} of conn {} got {} results",
                    conn.0,
                    raise.results
                );
                self.stats.outcome("result", msg);
                if msg.pointer("/payload/error").is_none() {
                    self.stats.results += 1;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Invariant 4 (ledger): each raise's records come in order, `Raised` first, nothing
    /// after `Completed`.
    fn on_record(&mut self, event: &LedgerEvent, batch: &mut Batch) -> Checked {
        let (key, name) = match event {
            LedgerEvent::Raised { key, .. } => (key, "Raised"),
            LedgerEvent::Resolved { key, .. } => (key, "Resolved"),
            LedgerEvent::Delivered { key, .. } => (key, "Delivered"),
            LedgerEvent::Completed { key, .. } => (key, "Completed"),
        };
        let records = self.ledger.entry(key.clone()).or_default();
        let seen = |n: &str| records.iter().filter(|r| **r == n).count();
        let ok = match name {
            "Raised" => records.is_empty(),
            "Resolved" => seen("Raised") == 1 && seen("Resolved") == 0 && seen("Completed") == 0,
            "Delivered" => {
                seen("Resolved") == 1 && seen("Delivered") == 0 && seen("Completed") == 0
            }
            _ => seen("Raised") == 1 && seen("Completed") == 0,
        };
        check!(
            ok,
            "[inv 4] ledger record {name} for raise {key} after {records:?}"
        );
        records.push(name);
        match event {
            LedgerEvent::Raised {
                key,
                request_uuid,
                raiser_instance,
                raiser_app,
                ..
            } => {
                let Some(conn) = batch.from else {
                    return Err(TestCaseError::fail(format!(
                        "[inv 4] raise {key} recorded outside a request"
                    )));
                };
                let here = self.conns[&conn].identity.clone();
                check!(
                    here.as_ref().map(|h| (h.0.as_str(), h.1.as_str()))
                        == Some((raiser_app.as_str(), raiser_instance.as_str())),
                    "[inv 3] raise {key} recorded for {raiser_app}/{raiser_instance}, but conn {} is {here:?}",
                    conn.0
                );
                let Some(raise) = self.raises.get_mut(&(conn, request_uuid.clone())) else {
                    return Err(TestCaseError::fail(format!(
                        "[inv 4] raise {key} recorded for requestUuid {request_uuid}, which conn {} did not raise",
                        conn.0
                    )));
                };
                check!(
                    raise.key.is_none(),
                    "[inv 4] requestUuid {request_uuid} recorded as a second raise {key}"
                );
                raise.key = Some(key.clone());
                raise.raiser_app = raiser_app.clone();
                raise.raiser_instance = raiser_instance.clone();
                self.raise_by_key
                    .insert(key.clone(), (conn, request_uuid.clone()));
            }
            LedgerEvent::Resolved {
                key,
                handler_app,
                handler_instance,
                ..
            } => {
                if let Some(r) = self
                    .raise_by_key
                    .get(key)
                    .and_then(|r| self.raises.get_mut(r))
                {
                    r.handler = Some((handler_app.clone(), handler_instance.clone()));
                }
                batch.last_resolved = Some(key.clone());
            }
            LedgerEvent::Completed { key, .. } => {
                if let Some((conn, uuid)) = self.raise_by_key.get(key).cloned() {
                    // Still there at the end of this input: connected and identified (not having
                    // said goodbye, nor been ended in the same step).
                    let open = self.conns[&conn].open && self.agent.is_identified(conn);
                    if let Some(r) = self.raises.get_mut(&(conn, uuid)) {
                        r.ended_with_raiser_open = Some(open);
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Invariant 6: the agent's instances are exactly those identified on open connections.
    fn cross_check(&self) -> Checked {
        let instances = self.agent.instances();
        let mut ids: Vec<&str> = instances.iter().map(|i| i.instance_id.as_str()).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        check!(
            ids.len() == before,
            "[inv 6] the agent lists an instance twice: {instances:?}"
        );
        let mut modelled: Vec<&str> = self
            .conns
            .values()
            .filter(|c| c.open)
            .filter_map(|c| c.identity.as_ref().map(|i| i.1.as_str()))
            .collect();
        modelled.sort_unstable();
        check!(
            ids == modelled,
            "[inv 6] the agent's instances {ids:?} differ from those identified on open connections {modelled:?}"
        );
        for (conn, c) in &self.conns {
            if c.open {
                check!(
                    self.agent.is_identified(*conn) == c.identity.is_some(),
                    "[inv 6] conn {}: agent says identified = {}, model {:?}",
                    conn.0,
                    self.agent.is_identified(*conn),
                    c.identity
                );
            }
        }
        Ok(())
    }

    /// Closes every connection, fires every remaining timer, then checks that every raise
    /// ended (invariant 4).
    fn finish(&mut self) -> Checked {
        for slot in 0..SLOTS {
            if let Some(conn) = self.slots[slot] {
                self.feed(Input::Closed { conn })?;
            }
        }
        // Heartbeats re-arm themselves for ever; everything else must run out.
        for _ in 0..1_000 {
            let next = self
                .timers
                .iter()
                .filter(|(_, _, t)| *t != Timer::Heartbeat)
                .map(|(at, _, _)| *at)
                .min();
            let Some(at) = next else { break };
            self.advance_to(at.max(self.now))?;
        }
        let left: Vec<&Timer> = self
            .timers
            .iter()
            .map(|(_, _, t)| t)
            .filter(|t| **t != Timer::Heartbeat)
            .collect();
        check!(left.is_empty(), "timers never ran out: {left:?}");
        for (key, records) in &self.ledger {
            check!(
                records.last() == Some(&"Completed"),
                "[inv 4] raise {key} never ended: its records are {records:?}"
            );
        }
        // Answers are owed to a raiser still there when its raise ended (at most one each
        // either way, as checked when sent); one that left may go unanswered.
        for ((conn, uuid), raise) in &self.raises {
            let Some(key) = &raise.key else { continue };
            if raise.ended_with_raiser_open != Some(true) {
                continue;
            }
            check!(
                raise.responses == 1,
                "[inv 4] raise {key} (requestUuid {uuid} of conn {}) got {} responses",
                conn.0,
                raise.responses
            );
            check!(
                !raise.success || raise.results == 1,
                "[inv 4] raise {key} (requestUuid {uuid} of conn {}) resolved but got {} results",
                conn.0,
                raise.results
            );
        }
        check!(
            self.agent.instances().is_empty() && self.agent.resolver_view().is_none(),
            "after every connection closed: instances {:?}, resolver {:?}",
            self.agent.instances(),
            self.agent.resolver_view()
        );
        Ok(())
    }
}

fn run_case(flags: Flags, steps: &[Step], lenience: Lenience) -> Checked<Stats> {
    let mut h = Harness::new(flags, lenience)?;
    for step in steps {
        h.run(step)?;
    }
    h.finish()?;
    Ok(h.stats)
}

// ---------------------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------------------

fn config(corpus: &'static str) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(corpus))),
        ..ProptestConfig::default()
    }
}

const AGENT_CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fuzz_corpus/agent_invariants.txt"
);
const DEPARTED_CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fuzz_corpus/departed_connection.txt"
);
const WINDOW_CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fuzz_corpus/second_window.txt"
);

fn fuzz_agent(lenience: Lenience, corpus: &'static str) {
    let mut runner = TestRunner::new(config(corpus));
    let result = runner.run(&arb_case(), |(flags, steps)| {
        run_case(flags, &steps, lenience).map(|_| ())
    });
    match result {
        Ok(()) => {}
        Err(TestError::Fail(reason, (flags, steps))) => {
            panic!("{reason}\nminimal failing input:\n{flags:?}\n{steps:#?}")
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn agent_invariants_hold() {
    fuzz_agent(STRICT, AGENT_CORPUS);
}

/// Invariant 2 with no exception. Fails on the current agent; run with `--ignored`.
#[test]
fn agent_never_answers_a_departed_connection() {
    let lenience = Lenience {
        answers_to_departed: false,
        ..STRICT
    };
    fuzz_agent(lenience, DEPARTED_CORPUS);
}

/// Invariant 6 for windows too. Fails on the current agent; run with `--ignored`.
#[test]
fn one_launched_identity_one_window() {
    let lenience = Lenience {
        no_second_window_claims: false,
        ..STRICT
    };
    fuzz_agent(lenience, WINDOW_CORPUS);
}

// ---------------------------------------------------------------------------------------------
// The parsers on their own.
// ---------------------------------------------------------------------------------------------

const DIRECTORY_CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fuzz_corpus/directory.txt"
);
const PARSE_CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_corpus/parse.txt");

/// An application record: mostly well formed, with colliding appIds and junk in every field.
fn arb_record() -> impl Strategy<Value = Value> {
    let app_id = prop_oneof![
        6 => prop::sample::select(&["a", "b", "crm", "interlog.log", "dup", ""][..]).prop_map(Value::from),
        1 => arb_json_small(),
    ];
    let app_type = prop_oneof![
        prop::sample::select(&["web", "native", "other"][..]).prop_map(Value::from),
        arb_json_small(),
    ];
    let details = prop_oneof![
        Just(json!({"url": "https://a.example.com/"})),
        Just(json!({"path": "/bin/true", "arguments": "-x  y"})),
        Just(json!({"path": 5, "arguments": ["x"]})),
        arb_json_small(),
    ];
    let listens_for = prop_oneof![
        Just(
            json!({"I": {"contexts": ["fdc3.contact"], "resultType": "fdc3.contact", "displayName": "I"}})
        ),
        Just(json!({"I": {"contexts": "fdc3.contact"}})),
        Just(json!({"I": null})),
        arb_json_small(),
    ];
    (
        app_id,
        prop::option::of(arb_json_small()),
        prop::option::of(app_type),
        prop::option::of(details),
        prop::option::of(listens_for),
        prop::collection::btree_map("[a-z]{1,5}", arb_json_small(), 0..3),
    )
        .prop_map(|(app_id, title, app_type, details, listens_for, extra)| {
            let mut r: serde_json::Map<String, Value> = extra.into_iter().collect();
            r.insert("appId".into(), app_id);
            let optional = [("title", title), ("type", app_type), ("details", details)];
            for (k, v) in optional {
                if let Some(v) = v {
                    r.insert(k.into(), v);
                }
            }
            if let Some(l) = listens_for {
                r.insert("interop".into(), json!({"intents": {"listensFor": l}}));
            }
            Value::Object(r)
        })
}

/// The text of a directory source: a document of records (both shapes), a cut one, any
/// JSON, or any string.
fn arb_appd_text() -> impl Strategy<Value = String> {
    let records =
        prop::collection::vec(prop_oneof![4 => arb_record(), 1 => arb_json_small()], 0..8);
    prop_oneof![
        4 => records.clone().prop_map(|r| json!({"applications": r}).to_string()),
        2 => records.clone().prop_map(|r| Value::Array(r).to_string()),
        1 => (records, any::<prop::sample::Index>()).prop_map(|(r, cut)| {
            let text = json!({"applications": r}).to_string();
            let mut at = cut.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text[..at].to_owned()
        }),
        1 => arb_json().prop_map(|v| v.to_string()),
        1 => any::<String>(),
    ]
}

fn app_ids(d: &Directory) -> Vec<String> {
    d.apps().map(|a| a.app_id.clone()).collect()
}

/// The records of a document as `add_json` reads it (`None`: not JSON or not of either shape).
fn records_of(text: &str) -> Option<Vec<Value>> {
    match serde_json::from_str::<Value>(text).ok()? {
        Value::Array(a) => Some(a),
        Value::Object(mut o) => match o.remove("applications") {
            Some(Value::Array(a)) => Some(a),
            _ => None,
        },
        _ => None,
    }
}

proptest! {
    #![proptest_config(config(DIRECTORY_CORPUS))]

    /// `Directory::add_json` never panics, never admits two records with one appId, adds
    /// nothing from a source it refuses, keeps the first record of an appId (the built-in
    /// apps cannot be replaced), and accounts for every record of a local source.
    #[test]
    fn directory_add_json_keeps_app_ids_unique(
        sources in prop::collection::vec(
            (prop::sample::select(&["apps.json", "https://x.example.com/v2/apps", "http://y.example.com/apps"][..]), arb_appd_text()),
            1..5,
        ),
        probe in any::<String>(),
    ) {
        let mut d = Directory::new();
        prop_assert!(d.add_json("builtin", BUILTIN_APPD).expect("built-in").is_empty());
        let log_title = d.get("interlog.log").expect("log").title.clone();
        for (name, text) in &sources {
            let before = app_ids(&d);
            match d.add_json(name, text) {
                Err(_) => {
                    prop_assert!(records_of(text).is_none(), "refused a readable document: {text}");
                    prop_assert_eq!(app_ids(&d), before, "a refused source added records");
                }
                Ok(skipped) => {
                    let records = records_of(text);
                    prop_assert!(records.is_some(), "accepted an unreadable document: {}", text);
                    let after = app_ids(&d);
                    prop_assert_eq!(&after[..before.len()], &before[..], "records changed or reordered");
                    if !name.starts_with("http://") {
                        let total = records.map_or(0, |r| r.len());
                        prop_assert_eq!(
                            after.len() - before.len() + skipped.len(),
                            total,
                            "records neither added nor reported: {:?}",
                            skipped
                        );
                    }
                }
            }
            let ids = app_ids(&d);
            let unique: std::collections::BTreeSet<&String> = ids.iter().collect();
            prop_assert_eq!(unique.len(), ids.len(), "duplicate appIds: {:?}", ids);
            prop_assert_eq!(d.len(), ids.len());
            for id in &ids {
                prop_assert_eq!(&d.get(id).expect("listed app").app_id, id);
            }
            prop_assert_eq!(&d.get("interlog.log").expect("log").title, &log_title);
        }
        for app in d.apps() {
            let _ = (app.url(), app.native_command(), app.icon(), app.metadata(Some("i")));
        }
        let _ = d.match_identity_url(&probe);
    }
}

proptest! {
    #![proptest_config(config(PARSE_CORPUS))]

    /// `Inbound::parse` never panics, and reads exactly the objects with a string `type`.
    #[test]
    fn inbound_parse_never_panics(msg in arb_json()) {
        let typed = msg.get("type").and_then(Value::as_str).map(str::to_owned);
        match Inbound::parse(msg.clone()) {
            Ok(inbound) => {
                prop_assert_eq!(Some(inbound.kind.clone()), typed);
                prop_assert_eq!(&inbound.payload, msg.get("payload").unwrap_or(&Value::Null));
                prop_assert_eq!(&inbound.meta, msg.get("meta").unwrap_or(&Value::Null));
                let _ = (inbound.request_uuid(), response_type_for(&inbound.kind));
            }
            Err(_) => prop_assert!(typed.is_none()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shrunk cases, kept as plain tests, and a check on the generator itself.
// ---------------------------------------------------------------------------------------------

fn socket_app(url: usize, claim: Claim) -> Step {
    Step::Connect {
        transport: Some(Transport::Socket),
        responsive: false,
        hello: Some(Hello {
            identity: UrlSel::App(url),
            actual: ActualSel::Same,
            claim,
        }),
    }
}

const NO_FLAGS: Flags = Flags {
    resolver_available: false,
    launch_web: false,
    launch_native: false,
    tight_budget: false,
};

/// Found by the fuzzer (fixed in dc74801): crm A raises at crm B, which does not listen yet;
/// A leaves; B adds its listener and gets the intent, which named its raiser `appId: ""`.
#[test]
fn intent_event_names_a_raiser_that_left() {
    let steps = [
        socket_app(0, Claim::None),
        socket_app(0, Claim::None),
        Step::Request {
            who: 0,
            req: Req::RaiseForContext {
                context: Ctx::Fitting,
                target: Target::Instance(1),
            },
        },
        Step::Close { who: 0 },
        Step::Request {
            who: 0,
            req: Req::AddIntentListener {
                intent: Intent::Natural(0),
            },
        },
    ];
    let stats = run_case(NO_FLAGS, &steps, STRICT).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stats.delivered, 1, "{stats:?}");
}

/// The shrunk case of `agent_never_answers_a_departed_connection`: crm listens and raises
/// CreateInteraction, which it handles itself; when its connection closes, the result it
/// owed fails, and the agent sends that `raiseIntentResultResponse` (NoResultReturned) to
/// the connection that just closed.
#[test]
fn a_closed_self_raiser_is_not_answered() {
    let steps = [
        socket_app(0, Claim::None),
        Step::Request {
            who: 0,
            req: Req::AddIntentListener {
                intent: Intent::Natural(0),
            },
        },
        Step::Request {
            who: 0,
            req: Req::Raise {
                intent: Intent::Natural(0),
                context: Ctx::Fitting,
                target: Target::None,
            },
        },
    ];
    let strict = Lenience {
        answers_to_departed: false,
        ..STRICT
    };
    run_case(NO_FLAGS, &steps, strict).unwrap_or_else(|e| panic!("{e}"));
}

/// The shrunk case of `one_launched_identity_one_window`: with web launches on, crm raises
/// CreateInteraction, which nothing running handles, so a crm window is launched. Its page
/// connects with the identity it was given; before the page has loaded (the launch is still
/// pending) a second connection of the window quotes the same identity and is admitted as the
/// same instance while the first still holds it.
#[test]
fn a_second_window_connection_cannot_take_a_held_launch_identity() {
    let flags = Flags {
        launch_web: true,
        ..NO_FLAGS
    };
    let launched = Step::Launched {
        launch: 0,
        loaded: false,
    };
    let steps = [
        socket_app(0, Claim::None),
        Step::Request {
            who: 0,
            req: Req::Raise {
                intent: Intent::Natural(0),
                context: Ctx::Fitting,
                target: Target::None,
            },
        },
        launched.clone(),
        launched,
    ];
    let strict = Lenience {
        no_second_window_claims: false,
        ..STRICT
    };
    run_case(flags, &steps, strict).unwrap_or_else(|e| panic!("{e}"));
}

/// The generator must reach the states worth checking (identified apps, delivered raises,
/// results, the resolver, launches, reconnects), or the properties above hold vacuously.
#[test]
fn fuzzer_reaches_deep_states() {
    let mut runner = TestRunner::deterministic();
    let mut total = Stats::default();
    let cases: u32 = std::env::var("FUZZ_STATS_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    for _ in 0..cases {
        let (flags, steps) = arb_case().new_tree(&mut runner).expect("a case").current();
        let stats = run_case(flags, &steps, STRICT).unwrap_or_else(|e| panic!("{e}"));
        total.add(&stats);
    }
    eprintln!("{total:#?}");
    let reached = [
        ("identified", total.identified),
        ("reclaimed", total.reclaimed),
        ("raises", total.raises),
        ("delivered", total.delivered),
        ("results", total.results),
        ("resolver_shown", total.resolver_shown),
        ("launches", total.launches),
        ("agent_closes", total.agent_closes),
    ];
    for (what, n) in reached {
        assert!(n > 0, "no case reached {what}: {total:#?}");
    }
}

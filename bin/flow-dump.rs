//! `flow-dump`: ovs-ofctl's flow commands, printing exactly what ovs-ofctl prints.
//!
//! ```text
//! flow-dump [-O OpenFlow13|OpenFlow15] [--names|--no-names] [--no-stats] [--sort[=FIELD]]
//!           [--rsort[=FIELD]] dump-flows TARGET [FLOW]
//! flow-dump add-flows|replace-flows|diff-flows TARGET FILE
//! flow-dump [--strict] del-flows TARGET [FILE]
//! ```
//! TARGET is a bridge name (`$OVS_RUNDIR/BRIDGE.mgmt`), `unix:PATH` or `tcp:HOST:PORT`. FILE
//! may be `-` (stdin). add-flows, del-flows and replace-flows apply each file as one atomic
//! bundle (like `ovs-ofctl --bundle`): all flows or none. Errors are one line on stderr and exit
//! status 1; diff-flows exits 2 when it found differences. Unlike ovs-ofctl (OpenFlow 1.0 by
//! default), the default protocols are OpenFlow 1.3 and 1.5 (the highest common one is used).

use clap::{ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand};
use ovs_egress::ofproto::codec::message::bundle::{BUNDLE_ATOMIC, BUNDLE_ORDERED};
use ovs_egress::ofproto::codec::message::multipart::FlowStatsRequest;
use ovs_egress::ofproto::codec::message::Message;
use ovs_egress::ofproto::codec::{FlowMod, FlowModCommand, Version};
use ovs_egress::ofproto::conn::{ConnError, Switch, SwitchOptions, Target};
use ovs_egress::ofproto::ofctl::{
    dump_flows, fetch_names, parse_dump_filter, read_flow_lines, DumpOptions, FlowLine, FlowTable,
    Names, OfctlError, SortKey,
};
use ovs_egress::ofproto::text::flow::{parse_flow, parse_flow_with_command};
use ovs_egress::ofproto::text::{ParseError, TextContext};
use std::error::Error;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "flow-dump",
    version,
    about = "Open vSwitch flow tables, as ovs-ofctl prints them"
)]
struct Cli {
    /// OpenFlow versions to allow, comma-separated: OpenFlow13, OpenFlow15.
    #[arg(
        short = 'O',
        long = "protocols",
        global = true,
        default_value = "OpenFlow13,OpenFlow15"
    )]
    protocols: String,
    /// Show port and table names (default: when stdout is a terminal).
    #[arg(long, global = true)]
    names: bool,
    /// Show and accept numbers only.
    #[arg(long = "no-names", global = true)]
    no_names: bool,
    /// Leave out durations, counters and ages.
    #[arg(long = "no-stats", global = true)]
    no_stats: bool,
    /// Sort by FIELD ascending (by priority without FIELD).
    #[arg(long, global = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "priority", action = ArgAction::Append, value_name = "FIELD")]
    sort: Vec<String>,
    /// Sort by FIELD descending (by priority without FIELD).
    #[arg(long, global = true, num_args = 0..=1, require_equals = true,
          default_missing_value = "priority", action = ArgAction::Append, value_name = "FIELD")]
    rsort: Vec<String>,
    /// del-flows: delete only flows whose match and priority are exactly the ones given.
    #[arg(long, global = true)]
    strict: bool,
    /// Accepted for ovs-ofctl compatibility: changes are always one atomic bundle.
    #[arg(long, global = true)]
    bundle: bool,
    /// Seconds to wait for the switch.
    #[arg(short = 't', long, global = true, default_value_t = 60)]
    timeout: u64,
    #[command(subcommand)]
    cmd: Cmd,
}

// The subcommands are named as ovs-ofctl names them.
#[allow(clippy::enum_variant_names)]
#[derive(Subcommand, Debug)]
enum Cmd {
    /// Print the flows (matching FLOW) as `ovs-ofctl dump-flows` does.
    DumpFlows {
        target: String,
        flow: Option<String>,
    },
    /// Add the flows of FILE (lines may start with add/modify/delete...) in one bundle.
    AddFlows { target: String, file: String },
    /// Delete the flows of FILE (all flows without FILE) in one bundle.
    DelFlows {
        target: String,
        file: Option<String>,
    },
    /// Make the switch's flows equal to FILE's in one bundle.
    ReplaceFlows { target: String, file: String },
    /// Print the differences between the switch's flows (-) and FILE's (+).
    DiffFlows { target: String, file: String },
}

type BoxError = Box<dyn Error + Send + Sync>;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let sort = match sort_keys(&matches) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    // One thread: the connection task and the printer hand buffers to each other, and on
    // two threads that costs more (cross-thread wake-ups, malloc arena contention when one
    // thread frees what the other allocated) than it gains while ovs-vswitchd streams replies.
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&e),
    };
    match rt.block_on(run(cli, sort)) {
        Ok(code) => code,
        Err(e) => fail(e.as_ref()),
    }
}

fn fail(e: &dyn Error) -> ExitCode {
    eprintln!("flow-dump: {e}");
    ExitCode::from(1)
}

/// `--sort`/`--rsort` in command-line order, as ovs-ofctl applies them.
fn sort_keys(m: &clap::ArgMatches) -> Result<Vec<SortKey>, OfctlError> {
    let mut keys = Vec::new();
    for (id, desc) in [("sort", false), ("rsort", true)] {
        if let (Some(idx), Some(vals)) = (m.indices_of(id), m.get_many::<String>(id)) {
            for (i, v) in idx.zip(vals) {
                keys.push((i, SortKey::parse(Some(v), desc)?));
            }
        }
    }
    keys.sort_by_key(|(i, _)| *i);
    Ok(keys.into_iter().map(|(_, k)| k).collect())
}

fn versions(list: &str) -> Result<Vec<Version>, BoxError> {
    list.split(',')
        .map(|v| match v.trim() {
            "OpenFlow13" => Ok(Version::Of13),
            "OpenFlow15" => Ok(Version::Of15),
            other => {
                Err(format!("{other}: unsupported protocol (use OpenFlow13 or OpenFlow15)").into())
            }
        })
        .collect()
}

async fn connect(cli: &Cli, target: &str) -> Result<Switch, BoxError> {
    connect_at(cli, target, 1).await
}

/// Connects with the session's xids starting at `first_xid`.
async fn connect_at(cli: &Cli, target: &str, first_xid: u32) -> Result<Switch, BoxError> {
    let target = Target::parse(target)?;
    let opts = SwitchOptions {
        versions: versions(&cli.protocols)?,
        request_timeout: Duration::from_secs(cli.timeout.max(1)),
        reconnect: false,
        first_xid,
        ..SwitchOptions::default()
    };
    Ok(Switch::connect(target, opts).await?)
}

async fn run(cli: Cli, sort: Vec<SortKey>) -> Result<ExitCode, BoxError> {
    let show_names = cli.names || (!cli.no_names && std::io::stdout().is_terminal());
    let accept_names = !cli.no_names;
    match &cli.cmd {
        Cmd::DumpFlows { target, flow } => {
            let flow = flow.as_deref().unwrap_or("");
            // Names come from a connection of their own, as in ovs-ofctl. ovs-ofctl numbers
            // xids across all its connections (hello and port-desc, hello and table-features,
            // then hello and the dump: xid 6), and prints the dump's xid, so do the same.
            let names = if show_names || (accept_names && !flow.is_empty()) {
                Some(fetch_names(&connect(&cli, target).await?).await?)
            } else {
                None
            };
            let first_xid = if names.is_some() { 5 } else { 1 };
            let sw = connect_at(&cli, target, first_xid).await?;
            let version = sw.version().ok_or(ConnError::Disconnected)?;
            let req = if flow.is_empty() {
                FlowStatsRequest::default()
            } else {
                let accept = names.as_ref().filter(|_| accept_names);
                parse_dump_filter(flow, version, accept).map_err(|error| OfctlError::Parse {
                    place: "flow".into(),
                    error,
                })?
            };
            let opts = DumpOptions {
                show_stats: !cli.no_stats,
                show_names: names.filter(|_| show_names),
                sort,
            };
            let stdout = std::io::stdout();
            // Streamed reply messages (~90 kB of text each) bypass a 64 kB buffer; single lines
            // of the collecting path are buffered.
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            match dump_flows(&sw, req, &opts, &mut out).await {
                Ok(_) => Ok(ExitCode::SUCCESS),
                Err(OfctlError::Io { error, .. })
                    if error.kind() == std::io::ErrorKind::BrokenPipe =>
                {
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => Err(e.into()),
            }
        }
        Cmd::AddFlows { target, file } => {
            let lines = read_flow_lines(file)?;
            let sw = connect(&cli, target).await?;
            add_flows(&sw, file, lines, accept_names).await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::DelFlows { target, file } => {
            let command = if cli.strict {
                FlowModCommand::DeleteStrict
            } else {
                FlowModCommand::Delete
            };
            let sw = connect(&cli, target).await?;
            let mut names = LazyNames::new(&sw, accept_names);
            let (path, lines) = match file {
                Some(f) => (f.as_str(), read_flow_lines(f)?),
                None => (
                    "argument",
                    vec![FlowLine {
                        number: 0,
                        text: String::new(),
                    }],
                ),
            };
            let mut flows = Vec::with_capacity(lines.len());
            for l in &lines {
                let fm = names
                    .parse(&l.place(path), &l.text, |t, ctx| {
                        parse_flow(t, command, ctx)
                    })
                    .await?;
                flows.push((fm, l.place(path), l.text.clone()));
            }
            apply_bundle(&sw, flows).await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::ReplaceFlows { target, file } => {
            let sw = connect(&cli, target).await?;
            let (table, texts) = load_table(&sw, file, accept_names).await?;
            let plan = table
                .replace_plan(0, 1)
                .into_iter()
                .map(|(fm, place)| {
                    let text = place
                        .as_ref()
                        .and_then(|p| texts.get(p).cloned())
                        .unwrap_or_else(|| "(delete of a flow not in the file)".into());
                    (fm, place.unwrap_or_else(|| target.clone()), text)
                })
                .collect();
            apply_bundle(&sw, plan).await?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::DiffFlows { target, file } => {
            let sw = connect(&cli, target).await?;
            let (table, _) = load_table(&sw, file, accept_names).await?;
            let show = if show_names {
                Some(fetch_names(&sw).await?.ports)
            } else {
                None
            };
            let diff = table.diff_lines(show.as_ref());
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for l in &diff {
                writeln!(out, "{l}")?;
            }
            Ok(if diff.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
    }
}

/// Port and table names, fetched from the switch the first time a flow does not parse without
/// them (ovs-ofctl always fetches them; the result is the same, minus two round trips).
struct LazyNames<'a> {
    sw: &'a Switch,
    accept: bool,
    names: Option<Names>,
}

impl<'a> LazyNames<'a> {
    fn new(sw: &'a Switch, accept: bool) -> Self {
        LazyNames {
            sw,
            accept,
            names: None,
        }
    }

    async fn parse<T>(
        &mut self,
        place: &str,
        text: &str,
        parse: impl Fn(&str, &TextContext<'_>) -> Result<T, ParseError>,
    ) -> Result<T, OfctlError> {
        let version = self.sw.version().ok_or(ConnError::Disconnected)?;
        fn ctx(version: Version, n: Option<&Names>) -> TextContext<'_> {
            TextContext {
                version,
                ports: n.map(|n| &n.ports),
                tables: n.map(|n| &n.tables),
            }
        }
        let first = parse(text, &ctx(version, self.names.as_ref()));
        match first {
            Err(_) if self.accept && self.names.is_none() => {
                self.names = Some(fetch_names(self.sw).await?);
                parse(text, &ctx(version, self.names.as_ref()))
            }
            other => other,
        }
        .map_err(|error| OfctlError::Parse {
            place: place.into(),
            error,
        })
    }
}

/// Parses FILE (in a thread of its own, while earlier flows are already being sent) and adds
/// every flow to one bundle; commits only if every flow parsed and the switch accepted all.
async fn add_flows(
    sw: &Switch,
    path: &str,
    lines: Vec<FlowLine>,
    accept_names: bool,
) -> Result<(), OfctlError> {
    const CHUNK: usize = 1024;
    let version = sw.version().ok_or(ConnError::Disconnected)?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<Message>, (usize, ParseError)>>(8);
    let texts: Vec<String> = lines.iter().map(|l| l.text.clone()).collect();
    let parser = std::thread::spawn(move || {
        let ctx = TextContext::new(version);
        let mut chunk = Vec::with_capacity(CHUNK);
        for (i, text) in texts.iter().enumerate() {
            match parse_flow_with_command(text, &ctx) {
                Ok(fm) => chunk.push(Message::FlowMod(fm)),
                Err(e) => {
                    let _ = tx.blocking_send(Err((i, e)));
                    return;
                }
            }
            if chunk.len() == CHUNK {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                if tx.blocking_send(Ok(full)).is_err() {
                    return;
                }
            }
        }
        let _ = tx.blocking_send(Ok(chunk));
    });
    let mut bundle = sw.open_bundle(BUNDLE_ATOMIC | BUNDLE_ORDERED).await?;
    let mut names = LazyNames::new(sw, accept_names);
    let mut failed = None;
    while let Some(r) = rx.recv().await {
        match r {
            Ok(msgs) => bundle.add_all(msgs).await?,
            Err((i, _)) => {
                // The parser stops at the first error; parse the rest here, with names if
                // the switch has them.
                failed = Some(i);
                break;
            }
        }
    }
    let _ = parser.join();
    if let Some(first_bad) = failed {
        for l in &lines[first_bad..] {
            let place = l.place(path);
            match names.parse(&place, &l.text, parse_flow_with_command).await {
                Ok(fm) => bundle.add(Message::FlowMod(fm)).await?,
                Err(e) => {
                    let _ = bundle.discard().await;
                    return Err(e);
                }
            }
        }
    }
    bundle
        .commit()
        .await
        .map_err(|e| rejected(e, |i| lines.get(i).map(|l| (l.place(path), l.text.clone()))))
}

/// Sends flow-mods as one atomic bundle; a refusal names the flow's place and text.
async fn apply_bundle(
    sw: &Switch,
    flows: Vec<(FlowMod, String, String)>,
) -> Result<(), OfctlError> {
    let mut places = Vec::with_capacity(flows.len());
    let mut bundle = sw.open_bundle(BUNDLE_ATOMIC | BUNDLE_ORDERED).await?;
    for (fm, place, text) in flows {
        places.push((place, text));
        bundle.add(Message::FlowMod(fm)).await?;
    }
    bundle
        .commit()
        .await
        .map_err(|e| rejected(e, |i| places.get(i).cloned()))
}

fn rejected(e: ConnError, place_of: impl Fn(usize) -> Option<(String, String)>) -> OfctlError {
    match e {
        ConnError::Switch(se) => match se.index.and_then(&place_of) {
            Some((place, text)) => OfctlError::Rejected {
                place,
                text: text.trim().to_owned(),
                error: se,
            },
            None => OfctlError::Conn(ConnError::Switch(se)),
        },
        other => OfctlError::Conn(other),
    }
}

/// The switch's flows (side 0) and FILE's (side 1); also each file flow's text by place.
async fn load_table(
    sw: &Switch,
    path: &str,
    accept_names: bool,
) -> Result<(FlowTable, std::collections::HashMap<String, String>), OfctlError> {
    let lines = read_flow_lines(path)?;
    let version = sw.version().ok_or(ConnError::Disconnected)?;
    let mut names = LazyNames::new(sw, accept_names);
    let mut file = Vec::with_capacity(lines.len());
    let mut texts = std::collections::HashMap::new();
    for l in &lines {
        let place = l.place(path);
        let fm = names
            .parse(&place, &l.text, |t, ctx| {
                parse_flow(t, FlowModCommand::Add, ctx)
            })
            .await?;
        texts.insert(place.clone(), l.text.trim().to_owned());
        file.push((fm, place));
    }
    let flows = sw.dump_flows(FlowStatsRequest::default()).await?;
    let ctx = TextContext::new(version);
    let mut table = FlowTable::new();
    table.add_switch_flows(0, flows, &ctx);
    table.add_file_flows(1, file, &ctx);
    Ok((table, texts))
}

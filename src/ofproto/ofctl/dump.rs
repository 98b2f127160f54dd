//! `dump-flows`, printed byte for byte as `ovs-ofctl dump-flows` prints it.
//!
//! ovs-ofctl has two output paths (`ofctl_dump_flows`):
//! - streaming: when there is no sort, stats are shown and names are not, every reply message
//!   is printed as `ofp_print` prints it: `OFPST_FLOW reply (OF1.3) (xid=0x2):`, ` flags=[more]`
//!   on all parts but the last, then `\n` + one line per flow, then `\n`;
//! - collecting (`--sort`, `--rsort`, `--names` or a terminal, `--no-stats`): all flows are
//!   read, sorted if asked, and printed one per line, no header.
//!
//! The streaming path formats each reply while the driver task decodes the next one.

use super::sort::{sort_flows, SortKey};
use super::{Names, OfctlError};
use crate::ofproto::codec::message::multipart::FlowStatsRequest;
use crate::ofproto::codec::value::put_hex_digits;
use crate::ofproto::codec::{FlowModCommand, Version};
use crate::ofproto::conn::Switch;
use crate::ofproto::text::flow::{format_flow_stats_into, parse_flow, FlowStatsFormat};
use crate::ofproto::text::{ParseError, TextContext};
use std::io::Write;

/// What `dump-flows` prints.
#[derive(Clone, Debug, Default)]
pub struct DumpOptions {
    /// `--no-stats` clears it.
    pub show_stats: bool,
    /// Port and table names to print (`--names`, or stdout is a terminal without
    /// `--no-names`).
    pub show_names: Option<Names>,
    /// `--sort` / `--rsort` criteria, in the order given.
    pub sort: Vec<SortKey>,
}

/// Which of ovs-ofctl's two output paths a dump takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DumpPath {
    /// Reply messages printed as they arrive, each with its `OFPST_FLOW reply` header.
    Streaming,
    /// Flows collected, sorted if asked, printed without a header.
    Collecting,
}

impl DumpOptions {
    /// The path ovs-ofctl would take for these options.
    pub fn path(&self) -> DumpPath {
        if self.sort.is_empty() && self.show_names.is_none() && self.show_stats {
            DumpPath::Streaming
        } else {
            DumpPath::Collecting
        }
    }
}

/// Parses the optional `FLOW` argument of `dump-flows` (`parse_ofp_flow_stats_request_str`:
/// match fields, `table=`, `cookie=V/M`, `out_port=`, `out_group=`).
pub fn parse_dump_filter(
    text: &str,
    version: Version,
    names: Option<&Names>,
) -> Result<FlowStatsRequest, ParseError> {
    let ctx = TextContext {
        version,
        ports: names.map(|n| &n.ports),
        tables: names.map(|n| &n.tables),
    };
    let fm = parse_flow(text, FlowModCommand::Delete, &ctx)?;
    Ok(FlowStatsRequest {
        table_id: fm.table_id,
        out_port: fm.out_port,
        out_group: fm.out_group,
        cookie: fm.cookie,
        cookie_mask: fm.cookie_mask,
        match_: fm.match_,
        ..FlowStatsRequest::default()
    })
}

/// Dumps the flows `req` selects from `sw` to `out` as ovs-ofctl would; returns the number of
/// flows.
pub async fn dump_flows(
    sw: &Switch,
    req: FlowStatsRequest,
    opts: &DumpOptions,
    out: &mut impl Write,
) -> Result<usize, OfctlError> {
    let version = sw.version().unwrap_or(Version::Of15);
    let io = |error| OfctlError::Io {
        path: "stdout".into(),
        error,
    };
    let ctx = TextContext {
        version,
        ports: opts.show_names.as_ref().map(|n| &n.ports),
        tables: opts.show_names.as_ref().map(|n| &n.tables),
    };
    let fmt = FlowStatsFormat {
        show_stats: opts.show_stats,
    };
    let mut n = 0;
    match opts.path() {
        DumpPath::Streaming => {
            let mut stream = sw.dump_flows_stream(req).await?;
            let mut text = String::with_capacity(1 << 16);
            while let Some(part) = stream.next_part().await {
                let part = part?;
                text.clear();
                text.push_str("OFPST_FLOW reply (");
                text.push_str(version.short_name());
                // `%#x`: a zero xid prints as `0`.
                text.push_str(") (xid=");
                if part.xid == 0 {
                    text.push('0');
                } else {
                    text.push_str("0x");
                    put_hex_digits(part.xid as u64, &mut text);
                }
                text.push_str("):");
                if part.more {
                    text.push_str(" flags=[more]");
                }
                for fs in &part.flows {
                    text.push('\n');
                    format_flow_stats_into(fs, &fmt, &ctx, &mut text);
                }
                text.push('\n');
                n += part.flows.len();
                out.write_all(text.as_bytes()).map_err(io)?;
            }
        }
        DumpPath::Collecting => {
            let mut flows = sw.dump_flows(req).await?;
            if !opts.sort.is_empty() {
                sort_flows(&mut flows, &opts.sort);
            }
            let mut text = String::with_capacity(1 << 16);
            for fs in &flows {
                format_flow_stats_into(fs, &fmt, &ctx, &mut text);
                text.push('\n');
                if text.len() > 60_000 {
                    out.write_all(text.as_bytes()).map_err(io)?;
                    text.clear();
                }
            }
            out.write_all(text.as_bytes()).map_err(io)?;
            n = flows.len();
        }
    }
    out.flush().map_err(io)?;
    Ok(n)
}

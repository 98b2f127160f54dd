//! Whole flow lines: parsing `add-flow`/`mod-flows`/`del-flows` text into a [`FlowMod`], and
//! printing flows as `ovs-ofctl dump-flows` and `ovs-ofctl ofp-print` do.
//!
//! Mirrors (facts, not code) OVS's `lib/ofp-flow.c`: `parse_ofp_str__` (which keywords each
//! command accepts, cookie rules, defaults), `ofputil_encode_flow_mod` (what goes on the wire
//! for OpenFlow 1.1+: table 0 for an add without `table=`, the cookie field, importance only in
//! 1.4+), `ofputil_flow_stats_format` (the dump-flows line) and `ofputil_flow_mod_format`
//! (the `ADD ...` text of ofp-print).
//!
//! The parsed [`FlowMod`] holds exactly the wire values `ovs-ofctl -O <version>` would send, so
//! encoding it gives OVS's bytes.

use super::action::{format_instructions, parse_instructions_for_match};
use super::match_::{format_match, parse_u16, split_actions, KeyValues, MatchParser};
use super::{ParseError, ParseErrorKind, TableNames, TextContext};
use crate::ofproto::codec::instruction::Instruction;
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::value::{put_dec, put_hex_digits};
use crate::ofproto::codec::{FlowMod, FlowModCommand, FlowModFlags, FlowStats, Version};
use std::fmt::Write;

fn syntax(input: &str, msg: impl Into<String>) -> ParseError {
    ParseError::new(input, ParseErrorKind::Syntax(msg.into()))
}

/// What a command accepts besides the match (`parse_ofp_str__`'s `F_*` bits).
struct Accepts {
    out_port: bool,
    actions: bool,
    importance: bool,
    timeouts: bool,
    priority: bool,
    flags: bool,
}

fn accepts(command: FlowModCommand) -> Accepts {
    use FlowModCommand::*;
    let is = |c: &[FlowModCommand]| c.contains(&command);
    Accepts {
        out_port: is(&[Delete, DeleteStrict]),
        actions: is(&[Add, Modify, ModifyStrict]),
        importance: command == Add,
        timeouts: is(&[Add, Modify, ModifyStrict]),
        priority: is(&[Add, Modify, ModifyStrict, DeleteStrict]),
        flags: is(&[Add, Modify, ModifyStrict]),
    }
}

/// `strtoull(s, &tail, 0)` over the whole string: decimal, `0x` hex, leading-`0` octal, with
/// an optional sign (`-1` is all ones, as C wraps it).
fn parse_c_u64(s: &str) -> Option<u64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(h) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        u64::from_str_radix(h, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse().ok()?
    };
    Some(if neg { v.wrapping_neg() } else { v })
}

/// Parses one flow for `command` (`ovs-ofctl add-flow`, `mod-flows`, `del-flows` syntax).
///
/// Keys the command does not take are errors, as in OVS (`priority` for `del-flows`,
/// `actions` for deletes...); `duration`, `n_packets`, `n_bytes`, `idle_age` and `hard_age`
/// are ignored so that dump-flows output can be fed back.
pub fn parse_flow(
    text: &str,
    command: FlowModCommand,
    ctx: &TextContext<'_>,
) -> Result<FlowMod, ParseError> {
    let acc = accepts(command);
    let (match_text, actions_text) = if acc.actions {
        match split_actions(text) {
            Ok((m, Some(a))) => (m, Some(a)),
            _ => return Err(syntax(text, "must specify an action")),
        }
    } else {
        (text, None)
    };

    let mut fm = FlowMod {
        command,
        ..FlowMod::default()
    };
    let mut table: u8 = 0xff;
    let mut new_cookie: Option<u64> = None;
    let mut mp = MatchParser::new(ctx.ports);
    for (key, value) in KeyValues::new(match_text) {
        let whole = || format!("{key}={value}");
        if acc.flags {
            let flag = match key {
                "send_flow_rem" => Some(FlowModFlags::SEND_FLOW_REM),
                "check_overlap" => Some(FlowModFlags::CHECK_OVERLAP),
                "reset_counts" => Some(FlowModFlags::RESET_COUNTS),
                "no_packet_counts" => Some(FlowModFlags::NO_PKT_COUNTS),
                "no_byte_counts" => Some(FlowModFlags::NO_BYT_COUNTS),
                _ => None,
            };
            if let Some(flag) = flag {
                fm.flags.0 |= flag;
                continue;
            }
        }
        if matches!(key, "no_readonly_table" | "allow_hidden_fields") {
            continue;
        }
        if mp.apply(key, value)? {
            continue;
        }
        if value.is_empty() {
            return Err(syntax(key, format!("field {key} missing value")));
        }
        match key {
            "table" => {
                table = TableNames::parse(ctx.tables, value)
                    .ok_or_else(|| syntax(&whole(), format!("unknown table \"{value}\"")))?;
            }
            "out_port" if acc.out_port => {
                fm.out_port = PortNo::parse(value, ctx.ports).ok_or_else(|| {
                    syntax(&whole(), format!("{value} is not a valid OpenFlow port"))
                })?;
            }
            "out_group" if acc.out_port => {
                fm.out_group = if value.eq_ignore_ascii_case("any") {
                    0xffff_ffff
                } else if value.eq_ignore_ascii_case("all") {
                    0xffff_fffc
                } else {
                    value.parse().map_err(|_| {
                        syntax(&whole(), format!("{value} is not a valid OpenFlow group"))
                    })?
                };
            }
            "priority" if acc.priority => fm.priority = parse_u16(key, value)?,
            "idle_timeout" if acc.timeouts => fm.idle_timeout = parse_u16(key, value)?,
            "hard_timeout" if acc.timeouts => fm.hard_timeout = parse_u16(key, value)?,
            "importance" if acc.importance => fm.importance = parse_u16(key, value)?,
            "cookie" => {
                let bad = || syntax(&whole(), format!("invalid numeric format {value}"));
                if let Some((v, m)) = value.split_once('/') {
                    if command == FlowModCommand::Add {
                        return Err(syntax(&whole(), "flow additions cannot use a cookie mask"));
                    }
                    fm.cookie = parse_c_u64(v).ok_or_else(bad)?;
                    fm.cookie_mask = parse_c_u64(m).ok_or_else(bad)?;
                } else {
                    if !acc.flags {
                        return Err(syntax(
                            &whole(),
                            format!(
                                "cannot set cookie (to match on a cookie, specify a mask, \
                                 e.g. cookie={value}/-1)"
                            ),
                        ));
                    }
                    new_cookie = Some(parse_c_u64(value).ok_or_else(bad)?);
                }
            }
            "duration" | "n_packets" | "n_bytes" | "idle_age" | "hard_age" => {}
            _ => {
                return Err(ParseError::new(
                    key,
                    ParseErrorKind::UnknownField(format!("unknown keyword {key}")),
                ))
            }
        }
    }
    fm.match_ = mp.finish(ctx.version)?;

    // The wire values ofputil_encode_flow_mod writes for OpenFlow 1.1+.
    let is_delete = matches!(
        command,
        FlowModCommand::Delete | FlowModCommand::DeleteStrict
    );
    fm.table_id = if table == 0xff && !is_delete {
        0
    } else {
        table
    };
    if command == FlowModCommand::Add {
        fm.cookie = new_cookie.unwrap_or(0);
    } else {
        fm.cookie &= fm.cookie_mask;
    }
    if ctx.version < Version::Of15 || command != FlowModCommand::Add {
        // OpenFlow 1.3 has no importance field (OVS sends 0), and only adds carry one.
        fm.importance = 0;
    }
    if let Some(actions) = actions_text {
        fm.instructions = parse_instructions_for_match(actions, ctx, &fm.match_)?;
        check_goto_table(&fm.instructions, table, actions)?;
    }
    Ok(fm)
}

/// `ofpacts_check` for goto_table: it must go to a later table than the flow's own.
fn check_goto_table(ins: &[Instruction], table: u8, input: &str) -> Result<(), ParseError> {
    for i in ins {
        if let Instruction::GotoTable(t) = i {
            if table != 0xff && *t <= table {
                return Err(syntax(
                    input,
                    "actions are invalid with specified match (OFPBIC_BAD_TABLE_ID)",
                ));
            }
        }
    }
    Ok(())
}

/// Parses a flow line that may start with a command word (`add`, `modify`, `modify_strict`,
/// `delete`, `delete_strict`; none means add), as `ovs-ofctl --bundle add-flows` files do.
pub fn parse_flow_with_command(text: &str, ctx: &TextContext<'_>) -> Result<FlowMod, ParseError> {
    let trimmed = text.trim_start_matches([' ', '\t', '\r', '\n']);
    let len = trimmed
        .find([',', ' ', '\t', '\r', '\n'])
        .unwrap_or(trimmed.len());
    let word = &trimmed[..len];
    // OVS compares only the first `len` characters, so a prefix (`del`) selects a command.
    let pick = |name: &str| !word.is_empty() && name.starts_with(word);
    let command = if pick("add") {
        Some(FlowModCommand::Add)
    } else if pick("delete") {
        Some(FlowModCommand::Delete)
    } else if pick("delete_strict") {
        Some(FlowModCommand::DeleteStrict)
    } else if pick("modify") {
        Some(FlowModCommand::Modify)
    } else if pick("modify_strict") {
        Some(FlowModCommand::ModifyStrict)
    } else {
        None
    };
    match command {
        Some(c) => parse_flow(&trimmed[len..], c, ctx),
        None => parse_flow(trimmed, FlowModCommand::Add, ctx),
    }
}

/// How a flow-stats line is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowStatsFormat {
    /// Print duration, counters and ages (`ovs-ofctl dump-flows`); `false` is `--no-stats`,
    /// which also omits a zero cookie and table 0.
    pub show_stats: bool,
}

impl Default for FlowStatsFormat {
    fn default() -> Self {
        FlowStatsFormat { show_stats: true }
    }
}

/// `ofp_print_duration`: seconds, then `.mmm` if the fraction is whole milliseconds, else the
/// nanoseconds with trailing zeros trimmed.
pub fn format_duration(sec: u32, nsec: u32, out: &mut String) {
    put_dec(sec as u64, out);
    if nsec > 0 {
        let msec = nsec / 1_000_000;
        // The fraction's digits, most significant first: 3 for whole milliseconds, else 9
        // with trailing zeros trimmed.
        let (mut frac, mut digits) = if msec * 1_000_000 == nsec {
            (msec, 3)
        } else {
            (nsec, 9)
        };
        if digits == 9 {
            while frac % 10 == 0 {
                frac /= 10;
                digits -= 1;
            }
        }
        out.push('.');
        let mut buf = [b'0'; 9];
        for i in (0..digits).rev() {
            buf[i] = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        for &b in &buf[..digits] {
            out.push(b as char);
        }
    }
}

/// `ofputil_flow_mod_flags_format`: each set flag followed by a space.
pub fn format_flow_flags(flags: FlowModFlags, out: &mut String) {
    for (bit, name) in [
        (FlowModFlags::SEND_FLOW_REM, "send_flow_rem "),
        (FlowModFlags::CHECK_OVERLAP, "check_overlap "),
        (FlowModFlags::RESET_COUNTS, "reset_counts "),
        (FlowModFlags::NO_PKT_COUNTS, "no_packet_counts "),
        (FlowModFlags::NO_BYT_COUNTS, "no_byte_counts "),
    ] {
        if flags.0 & bit != 0 {
            out.push_str(name);
        }
    }
}

fn stat(name: &str, v: u64, out: &mut String) {
    out.push_str(name);
    if v == u64::MAX {
        out.push_str("=?, ");
    } else {
        out.push('=');
        put_dec(v, out);
        out.push_str(", ");
    }
}

/// `name=N, `.
fn field(name: &str, v: u64, out: &mut String) {
    out.push_str(name);
    out.push('=');
    put_dec(v, out);
    out.push_str(", ");
}

/// One `ovs-ofctl dump-flows` line for `fs`, including the leading space
/// (`ofputil_flow_stats_format`): ` cookie=0x0, duration=3.023s, table=0, n_packets=1,
/// n_bytes=98, priority=100,ip actions=drop`.
pub fn format_flow_stats(fs: &FlowStats, opts: &FlowStatsFormat, ctx: &TextContext<'_>) -> String {
    let mut s = String::with_capacity(160);
    format_flow_stats_into(fs, opts, ctx, &mut s);
    s
}

/// [`format_flow_stats`] appending to `s` (no allocation per line when dumping many flows).
pub fn format_flow_stats_into(
    fs: &FlowStats,
    opts: &FlowStatsFormat,
    ctx: &TextContext<'_>,
    s: &mut String,
) {
    s.push(' ');
    let show = opts.show_stats;
    if show || fs.cookie != 0 {
        s.push_str("cookie=0x");
        put_hex_digits(fs.cookie, s);
        s.push_str(", ");
    }
    if show {
        s.push_str("duration=");
        format_duration(fs.duration_sec, fs.duration_nsec, s);
        s.push_str("s, ");
    }
    let named = ctx.tables.and_then(|t| t.name(fs.table_id)).is_some();
    if show || fs.table_id != 0 || named {
        s.push_str("table=");
        TableNames::format(ctx.tables, fs.table_id, s);
        s.push_str(", ");
    }
    if show {
        stat("n_packets", fs.packet_count, s);
        stat("n_bytes", fs.byte_count, s);
    }
    if fs.idle_timeout != 0 {
        field("idle_timeout", fs.idle_timeout as u64, s);
    }
    if fs.hard_timeout != 0 {
        field("hard_timeout", fs.hard_timeout as u64, s);
    }
    format_flow_flags(fs.flags, s);
    if fs.importance != 0 {
        field("importance", fs.importance as u64, s);
    }
    if let (true, Some(age)) = (show, fs.idle_age) {
        field("idle_age", age as u64, s);
    }
    let before = s.len();
    format_match(&fs.match_, fs.priority, ctx.ports, s);
    if s.len() != before {
        s.push(' ');
    }
    s.push_str("actions=");
    format_instructions(&fs.instructions, ctx, s);
}

/// The body `ovs-ofctl ofp-print` shows for a flow-mod (`ofputil_flow_mod_format`), starting
/// with a space: ` ADD table:1 priority=100,ip actions=drop`. `fm` holds wire values.
pub fn format_flow_mod(fm: &FlowMod, ctx: &TextContext<'_>) -> String {
    let mut s = String::from(" ");
    s.push_str(match fm.command {
        FlowModCommand::Add => "ADD",
        FlowModCommand::Modify => "MOD",
        FlowModCommand::ModifyStrict => "MOD_STRICT",
        FlowModCommand::Delete => "DEL",
        FlowModCommand::DeleteStrict => "DEL_STRICT",
    });
    let named = ctx.tables.and_then(|t| t.name(fm.table_id)).is_some();
    if fm.table_id != 0 || named {
        s.push_str(" table:");
        TableNames::format(ctx.tables, fm.table_id, &mut s);
    }
    s.push(' ');
    format_match(&fm.match_, fm.priority, ctx.ports, &mut s);
    if !s.ends_with(' ') {
        s.push(' ');
    }
    // Decoding an OpenFlow 1.2+ flow-mod, OVS takes the cookie as the new cookie only for adds.
    if fm.command == FlowModCommand::Add {
        if fm.cookie != 0 && fm.cookie != u64::MAX {
            let _ = write!(s, "cookie:0x{:x} ", fm.cookie);
        }
    } else if fm.cookie_mask != 0 {
        let _ = write!(s, "cookie:0x{:x}/0x{:x} ", fm.cookie, fm.cookie_mask);
    }
    if fm.idle_timeout != 0 {
        let _ = write!(s, "idle:{} ", fm.idle_timeout);
    }
    if fm.hard_timeout != 0 {
        let _ = write!(s, "hard:{} ", fm.hard_timeout);
    }
    if fm.importance != 0 {
        let _ = write!(s, "importance:{} ", fm.importance);
    }
    if fm.buffer_id != u32::MAX {
        let _ = write!(s, "buf:0x{:x} ", fm.buffer_id);
    }
    if fm.out_port != PortNo::ANY {
        s.push_str("out_port:");
        fm.out_port.format(ctx.ports, &mut s);
        s.push(' ');
    }
    format_flow_flags(fm.flags, &mut s);
    s.push_str("actions=");
    format_instructions(&fm.instructions, ctx, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_ovs() {
        let d = |sec, nsec| {
            let mut s = String::new();
            format_duration(sec, nsec, &mut s);
            s
        };
        assert_eq!(d(0, 0), "0");
        assert_eq!(d(3, 23_000_000), "3.023");
        assert_eq!(d(1, 500), "1.0000005");
        assert_eq!(d(196, 185_000_000), "196.185");
    }

    #[test]
    fn c_integers() {
        assert_eq!(parse_c_u64("-1"), Some(u64::MAX));
        assert_eq!(parse_c_u64("0x10"), Some(16));
        assert_eq!(parse_c_u64("010"), Some(8));
        assert_eq!(parse_c_u64("x"), None);
    }
}

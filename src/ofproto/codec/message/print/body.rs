//! Message bodies as `ofp_to_string__` prints them (everything but multipart bodies and ports).

use super::{hex_dump, put_bit_names, put_duration, PrintContext};
use crate::ofproto::codec::field::{Field, OxmHeader};
use crate::ofproto::codec::flow::{FlowMod, FlowModCommand, FlowModFlags};
use crate::ofproto::codec::message::bundle::ctrl_type;
use crate::ofproto::codec::message::features::CAPABILITIES;
use crate::ofproto::codec::message::group_mod::{Bucket, GroupMod, WATCH_NONE};
use crate::ofproto::codec::message::meter_mod::MeterBand;
use crate::ofproto::codec::message::nicira::nxpint;
use crate::ofproto::codec::message::prop::Prop;
use crate::ofproto::codec::message::{Header, Message, NxMessage};
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::value::{self, Value};
use crate::ofproto::codec::{match_::Match, Version};
use crate::ofproto::text::TableNames;
use std::fmt::Write;

/// An OVS error name to print as `***decode error: NAME***`.
pub(super) type PrintResult = Result<(), &'static str>;

pub(super) fn format_body(
    h: &Header,
    msg: &Message,
    bytes: &[u8],
    ctx: &PrintContext<'_>,
    s: &mut String,
) -> PrintResult {
    let version = Version::from_wire(h.version);
    match msg {
        Message::Hello(hello) => {
            let (allowed, ok) = hello.allowed_versions(h.version);
            s.push_str("\n version bitmap: ");
            let mut first = true;
            for v in 0..32 {
                if allowed & (1 << v) != 0 {
                    if !first {
                        s.push_str(", ");
                    }
                    first = false;
                    let _ = write!(s, "0x{v:02x}");
                }
            }
            if !ok {
                s.push_str("\n unknown data in hello:\n");
                hex_dump(s, bytes, true);
            }
            Ok(())
        }
        Message::Error(e) => {
            let Some(v) = version else {
                return Err("OFPBRC_BAD_LEN");
            };
            let Some(name) = e.code.name(v) else {
                return Err("OFPBRC_BAD_LEN");
            };
            let _ = writeln!(s, " {name}");
            if name == "OFPHFC_INCOMPATIBLE" || name == "OFPHFC_EPERM" {
                put_printable(s, &e.data);
            } else {
                s.push_str(&super::ofp_to_string(&e.data, &ctx.with_verbosity(1)));
            }
            Ok(())
        }
        Message::EchoRequest(p) | Message::EchoReply(p) => {
            let _ = writeln!(s, " {} bytes of payload", p.len());
            if ctx.verbosity > 1 {
                hex_dump(s, p, true);
            }
            Ok(())
        }
        Message::FeaturesReply(f) => {
            let _ = writeln!(s, " dpid:{:016x}", f.datapath_id);
            let _ = write!(s, "n_tables:{}, n_buffers:{}", f.n_tables, f.n_buffers);
            if f.auxiliary_id != 0 {
                let _ = write!(s, ", auxiliary_id:{}", f.auxiliary_id);
            }
            s.push_str("\ncapabilities: ");
            let v15 = version == Some(Version::Of15);
            let caps = CAPABILITIES
                .iter()
                .filter(|c| v15 || !c.2)
                .fold(0, |acc, c| acc | (f.capabilities & c.0));
            put_bit_names(
                s,
                caps,
                |b| CAPABILITIES.iter().find(|c| c.0 == b).map(|c| c.1),
                ' ',
            );
            s.push('\n');
            Ok(())
        }
        Message::GetConfigReply(c) | Message::SetConfig(c) => {
            if matches!(msg, Message::SetConfig(_)) && c.flags & !3 != 0 {
                return Err("OFPSCFC_BAD_FLAGS");
            }
            let _ = writeln!(
                s,
                " frags={} miss_send_len={}",
                c.frag_name(),
                c.miss_send_len
            );
            Ok(())
        }
        Message::PacketIn(p) => {
            format_packet_in(
                p.table_id,
                p.cookie,
                p.total_len as usize,
                &p.match_,
                p.reason,
                &p.data,
                p.buffer_id,
                ctx,
                s,
            );
            Ok(())
        }
        Message::FlowRemoved(fr) => {
            s.push(' ');
            ctx.flow_text.format_match(&fr.match_, fr.priority, ctx, s);
            s.push_str(" reason=");
            match fr.reason {
                0 => s.push_str("idle"),
                1 => s.push_str("hard"),
                2 => s.push_str("delete"),
                3 => s.push_str("group_delete"),
                4 => s.push_str("meter_delete"),
                5 => s.push_str("eviction"),
                r => {
                    let _ = write!(s, "{r}");
                }
            }
            if fr.table_id != 255 {
                s.push_str(" table_id=");
                TableNames::format(ctx.tables, fr.table_id, s);
            }
            if fr.cookie != 0 {
                let _ = write!(s, " cookie:0x{:x}", fr.cookie);
            }
            s.push_str(" duration");
            put_duration(s, fr.duration_sec, fr.duration_nsec);
            let _ = write!(s, " idle{}", fr.idle_timeout);
            if fr.hard_timeout != 0 {
                let _ = write!(s, " hard{}", fr.hard_timeout);
            }
            let _ = writeln!(s, " pkts{} bytes{}", fr.packet_count, fr.byte_count);
            Ok(())
        }
        Message::PortStatus(ps) => {
            match ps.reason {
                0 => s.push_str(" ADD:"),
                1 => s.push_str(" DEL:"),
                2 => s.push_str(" MOD:"),
                _ => return Err("NXBRC_BAD_REASON"),
            }
            super::port::format_port(&ps.port, s);
            Ok(())
        }
        Message::PacketOut(po) => {
            // `ofputil_decode_packet_out`'s checks.
            let m = po.match_with_in_port();
            let in_port = m
                .get(Field::InPort)
                .map(|e| PortNo(e.value.as_u64() as u16));
            match in_port {
                None => return Err("OFPBRC_BAD_PORT"),
                Some(p)
                    if p.0 >= PortNo::MAX.0
                        && ![PortNo::LOCAL, PortNo::ANY, PortNo::CONTROLLER].contains(&p) =>
                {
                    return Err("OFPBRC_BAD_PORT")
                }
                _ => {}
            }
            s.push(' ');
            ctx.flow_text
                .format_match(&po.match_with_in_port(), 0x8000, ctx, s);
            s.push_str(" actions=");
            ctx.flow_text.format_actions(&po.actions, ctx, s);
            if po.buffer_id == u32::MAX {
                let _ = write!(s, " data_len={}", po.data.len());
                if ctx.verbosity > 2 {
                    // OVS prints the packet dissection (not reproduced) then a hex dump.
                    s.push('\n');
                    hex_dump(s, &po.data, false);
                }
            } else {
                let _ = write!(s, " buffer=0x{:08x}", po.buffer_id);
            }
            Ok(())
        }
        Message::FlowMod(fm) => format_flow_mod(fm, version, ctx, s),
        Message::GroupMod(gm) => {
            format_group_mod(gm, version, ctx, s);
            Ok(())
        }
        Message::PortMod(pm) => {
            s.push_str(" port: ");
            port_from_ofp11(pm.port_no).format(ctx.ports, s);
            s.push_str(": addr:");
            value::put_mac(&pm.hw_addr, s);
            s.push_str("\n     config: ");
            super::port::put_config(s, pm.config);
            s.push_str("     mask:   ");
            super::port::put_config(s, pm.mask);
            s.push_str("     advertise: ");
            match pm.advertise {
                Some(a) if a != 0 => super::port::put_features(s, a),
                _ => s.push_str("UNCHANGED\n"),
            }
            Ok(())
        }
        Message::TableMod(tm) => {
            if tm.table_id == 0xff {
                s.push_str(" table_id: ALL_TABLES");
            } else {
                s.push_str(" table_id=");
                TableNames::format(ctx.tables, tm.table_id, s);
            }
            if version == Some(Version::Of15) {
                // OpenFlow 1.4+ carries eviction and vacancy events in `config`.
                let on = |bit: u32| if tm.config & bit != 0 { "on" } else { "off" };
                let _ = write!(s, ", eviction={}", on(1 << 2));
                let _ = write!(s, ", vacancy={}", on(1 << 3));
                if !tm.props.is_empty() {
                    return Err("table_mod properties not printed");
                }
            }
            Ok(())
        }
        Message::MeterMod(mm) => {
            // `ofputil_decode_meter_mod`'s checks; a delete's flags and bands are ignored.
            let (flags, bands) = match mm.command {
                0 | 1 => {
                    if mm.flags & 3 == 3 {
                        return Err("OFPMMFC_BAD_FLAGS");
                    }
                    check_bands(&mm.bands)?;
                    (mm.flags, &mm.bands[..])
                }
                2 => (0, &[][..]),
                _ => return Err("OFPMMFC_BAD_COMMAND"),
            };
            s.push_str(match mm.command {
                0 => " ADD ",
                1 => " MOD ",
                _ => " DEL ",
            });
            format_meter_config(s, mm.meter_id, flags, bands);
            Ok(())
        }
        Message::MultipartRequest(m) => super::multipart::format_request(h, m, ctx, s),
        Message::MultipartReply(m) => super::multipart::format_reply(h, m, ctx, s),
        Message::RoleRequest(r) | Message::RoleReply(r) => {
            s.push_str(" role=");
            s.push_str(r.role_name().ok_or("OFPRRFC_BAD_ROLE")?);
            let have_gen = if matches!(msg, Message::RoleRequest(_)) {
                r.role != 0
            } else {
                r.generation_id != u64::MAX
            };
            if have_gen {
                let _ = write!(s, " generation_id={}", r.generation_id);
            }
            Ok(())
        }
        Message::BundleControl(b) => {
            let _ = write!(s, "\n bundle_id={} type=", super::c_hex(b.bundle_id as u64));
            s.push_str(ctrl_type::name(b.ctrl_type).unwrap_or(""));
            s.push_str(" flags=");
            put_bit_names(s, b.flags as u32, bundle_flag_name, ' ');
            Ok(())
        }
        Message::BundleAdd(b) => {
            let _ = write!(s, "\n bundle_id={}", super::c_hex(b.bundle_id as u64));
            s.push_str(" flags=");
            put_bit_names(s, b.flags as u32, bundle_flag_name, ' ');
            s.push('\n');
            let inner = inner_bytes(bytes, h.version);
            s.push_str(&super::ofp_to_string(inner, ctx));
            Ok(())
        }
        Message::Nicira(NxMessage::SetPacketInFormat(f)) => {
            let _ = write!(s, " format={}", f.name().ok_or("OFPBRC_EPERM")?);
            Ok(())
        }
        Message::Nicira(NxMessage::SetControllerId(id)) => {
            let _ = write!(s, " id={id}");
            Ok(())
        }
        Message::Nicira(NxMessage::PacketIn2(p)) => {
            let m = match p.metadata() {
                Some(Ok(m)) => m,
                Some(Err(_)) => return Err("OFPBPC_BAD_VALUE"),
                None => Match::new(),
            };
            let data = p.packet().unwrap_or_default();
            format_packet_in(
                p.table_id().unwrap_or(0),
                p.cookie().unwrap_or(u64::MAX),
                p.full_len().map_or(data.len(), |l| l as usize),
                &m,
                p.reason().unwrap_or(0),
                data,
                p.buffer_id().unwrap_or(u32::MAX),
                ctx,
                s,
            );
            if let Some(u) = p.userdata() {
                s.push_str(" userdata=");
                put_hex_arg(s, u);
                s.push('\n');
            }
            let _ = nxpint::CONTINUATION;
            Ok(())
        }
        // Messages without a body, and messages OVS prints but this codec keeps raw.
        _ => Ok(()),
    }
}

/// The inner message of a bundle-add: after the outer header, the experimenter header in 1.3,
/// and the 8-byte control body.
fn inner_bytes(bytes: &[u8], version: u8) -> &[u8] {
    let skip = if version == Version::Of13.wire() {
        24
    } else {
        16
    };
    let rest = bytes.get(skip..).unwrap_or_default();
    let len = super::super::frame_len(rest)
        .unwrap_or(rest.len())
        .min(rest.len());
    &rest[..len]
}

fn bundle_flag_name(bit: u32) -> Option<&'static str> {
    match bit {
        1 => Some("atomic"),
        2 => Some("ordered"),
        _ => None,
    }
}

fn port_from_ofp11(p: u32) -> PortNo {
    PortNo::from_ofp11(p).unwrap_or(PortNo::ANY)
}

/// `ds_put_printable`.
fn put_printable(s: &mut String, b: &[u8]) {
    for &c in b {
        if !(0x20..=0x7e).contains(&c) || c == b'\\' || c == b'"' {
            let _ = write!(s, "\\{c:03o}");
        } else {
            s.push(c as char);
        }
    }
}

/// `format_hex_arg`: bytes as `xx.xx.xx`.
fn put_hex_arg(s: &mut String, b: &[u8]) {
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push('.');
        }
        let _ = write!(s, "{x:02x}");
    }
}

#[allow(clippy::too_many_arguments)]
fn format_packet_in(
    table_id: u8,
    cookie: u64,
    total_len: usize,
    m: &Match,
    reason: u8,
    data: &[u8],
    buffer_id: u32,
    ctx: &PrintContext<'_>,
    s: &mut String,
) {
    if table_id != 0 || ctx.tables.and_then(|t| t.name(table_id)).is_some() {
        s.push_str(" table_id=");
        TableNames::format(ctx.tables, table_id, s);
    }
    if cookie != u64::MAX {
        let _ = write!(s, " cookie=0x{cookie:x}");
    }
    let _ = write!(s, " total_len={total_len} ");
    ctx.flow_text.format_match(m, 0x8000, ctx, s);
    s.push_str(" (via ");
    match reason {
        0 => s.push_str("no_match"),
        1 => s.push_str("action"),
        2 => s.push_str("invalid_ttl"),
        3 => s.push_str("action_set"),
        4 => s.push_str("group"),
        5 => s.push_str("packet_out"),
        r => {
            let _ = write!(s, "{r}");
        }
    }
    let data_len = data.len();
    let _ = write!(s, ") data_len={data_len}");
    if buffer_id == u32::MAX {
        s.push_str(" (unbuffered)");
        if total_len != data_len {
            s.push_str(" (***total_len != data_len***)");
        }
    } else {
        let _ = write!(s, " buffer=0x{buffer_id:08x}");
        if total_len < data_len {
            s.push_str(" (***total_len < data_len***)");
        }
    }
    s.push('\n');
    // At verbosity > 0 OVS prints the packet dissection here (`flow_extract` +
    // `flow_format`), which this crate does not reproduce.
    if ctx.verbosity > 2 {
        hex_dump(s, data, false);
    }
}

fn format_flow_mod(
    fm: &FlowMod,
    version: Option<Version>,
    ctx: &PrintContext<'_>,
    s: &mut String,
) -> PrintResult {
    let known = FlowModFlags::SEND_FLOW_REM
        | FlowModFlags::CHECK_OVERLAP
        | FlowModFlags::RESET_COUNTS
        | FlowModFlags::NO_PKT_COUNTS
        | FlowModFlags::NO_BYT_COUNTS;
    if fm.flags.0 & !known != 0 {
        return Err("OFPFMFC_BAD_FLAGS");
    }
    if fm.table_id == 0xff
        && !matches!(
            fm.command,
            FlowModCommand::Delete | FlowModCommand::DeleteStrict
        )
    {
        return Err("OFPFMFC_BAD_TABLE_ID");
    }
    let _ = version;
    s.push(' ');
    s.push_str(match fm.command {
        FlowModCommand::Add => "ADD",
        FlowModCommand::Modify => "MOD",
        FlowModCommand::ModifyStrict => "MOD_STRICT",
        FlowModCommand::Delete => "DEL",
        FlowModCommand::DeleteStrict => "DEL_STRICT",
    });
    if fm.table_id != 0 || ctx.tables.and_then(|t| t.name(fm.table_id)).is_some() {
        s.push_str(" table:");
        TableNames::format(ctx.tables, fm.table_id, s);
    }
    s.push(' ');
    ctx.flow_text.format_match(&fm.match_, fm.priority, ctx, s);
    if !s.ends_with(' ') {
        s.push(' ');
    }
    // OpenFlow 1.2+: an add's cookie is the new cookie; other commands match on cookie/mask.
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
        fm.out_port.format(ctx.ports, s);
        s.push(' ');
    }
    for (bit, name) in [
        (FlowModFlags::SEND_FLOW_REM, "send_flow_rem "),
        (FlowModFlags::CHECK_OVERLAP, "check_overlap "),
        (FlowModFlags::RESET_COUNTS, "reset_counts "),
        (FlowModFlags::NO_PKT_COUNTS, "no_packet_counts "),
        (FlowModFlags::NO_BYT_COUNTS, "no_byte_counts "),
    ] {
        if fm.flags.0 & bit != 0 {
            s.push_str(name);
        }
    }
    s.push_str("actions=");
    ctx.flow_text.format_instructions(&fm.instructions, ctx, s);
    Ok(())
}

/// `ofputil_pull_bands`'s checks: 16-byte drop or dscp_remark bands only.
pub(super) fn check_bands(bands: &[MeterBand]) -> PrintResult {
    for b in bands {
        if b.data.len() != 4 {
            return Err("OFPBRC_BAD_LEN");
        }
        if b.band_type != MeterBand::DROP && b.band_type != MeterBand::DSCP_REMARK {
            return Err("OFPMMFC_BAD_BAND");
        }
    }
    Ok(())
}

/// `ofputil_format_meter_config` (meter id, flags, bands) without the trailing newline's
/// caller-specific context.
pub(super) fn format_meter_config(s: &mut String, meter_id: u32, flags: u16, bands: &[MeterBand]) {
    put_meter_id(s, meter_id, '=');
    s.push(' ');
    for (bit, name) in [(1, "kbps "), (2, "pktps "), (4, "burst "), (8, "stats ")] {
        if flags & bit != 0 {
            s.push_str(name);
        }
    }
    if flags & !0xf != 0 {
        let _ = write!(s, "flags:0x{:x} ", flags & !0xf);
    }
    s.push_str("bands=");
    for b in bands {
        s.push_str("\ntype=");
        match b.band_type {
            1 => s.push_str("drop"),
            2 => s.push_str("dscp_remark"),
            t => {
                let _ = write!(s, "{t}");
            }
        }
        let _ = write!(s, " rate={}", b.rate);
        if flags & 4 != 0 {
            let _ = write!(s, " burst_size={}", b.burst_size);
        }
        if b.band_type == 2 {
            let _ = write!(s, " prec_level={}", b.prec_level());
        }
    }
    s.push('\n');
}

/// `ofputil_format_meter_id`.
pub(super) fn put_meter_id(s: &mut String, id: u32, sep: char) {
    match id {
        0..=0xffff_0000 => {
            let _ = write!(s, "meter{sep}{id}");
        }
        0xffff_fffd => {
            let _ = write!(s, "meter{sep}slowpath");
        }
        0xffff_fffe => {
            let _ = write!(s, "meter{sep}controller");
        }
        0xffff_ffff => {
            let _ = write!(s, "meter{sep}all");
        }
        _ => {
            let _ = write!(s, "meter{sep}unknown");
        }
    }
}

fn format_group_mod(
    gm: &GroupMod,
    version: Option<Version>,
    ctx: &PrintContext<'_>,
    s: &mut String,
) {
    s.push_str("\n ");
    let bucket_cmd = matches!(gm.command, 3 | 5);
    match gm.command {
        0 => s.push_str("ADD"),
        1 => s.push_str("MOD"),
        0x8000 => s.push_str("ADD_OR_MOD"),
        2 => s.push_str("DEL"),
        3 => s.push_str("INSERT_BUCKET"),
        5 => s.push_str("REMOVE_BUCKET"),
        c => {
            let _ = write!(s, "cmd:{c}");
        }
    }
    s.push(' ');
    let v15 = version == Some(Version::Of15);
    if bucket_cmd && v15 {
        put_bucket_id(s, "command_bucket_id:", gm.command_bucket_id);
    }
    format_group(
        s,
        gm.group_id,
        gm.group_type,
        &gm.buckets,
        &gm.props,
        v15,
        bucket_cmd,
        ctx,
    );
}

fn put_bucket_id(s: &mut String, label: &str, id: u32) {
    s.push_str(label);
    match id {
        0xffff_fffd => s.push_str("first"),
        0xffff_fffe => s.push_str("last"),
        0xffff_ffff => s.push_str("all"),
        n => {
            let _ = write!(s, "{n}");
        }
    }
    s.push(',');
}

/// `ofp_print_group`.
#[allow(clippy::too_many_arguments)]
pub(super) fn format_group(
    s: &mut String,
    group_id: u32,
    group_type: u8,
    buckets: &[Bucket],
    props: &[Prop],
    v15: bool,
    suppress_type: bool,
    ctx: &PrintContext<'_>,
) {
    let _ = write!(s, "group_id={group_id}");
    if !suppress_type {
        let t = ["all", "select", "indirect", "ff", "unknown"];
        let _ = write!(s, ",type={}", t[(group_type as usize).min(4)]);
    }
    for p in props {
        format_selection_method(s, p);
    }
    if buckets.is_empty() && suppress_type {
        // OVS prints the bucket list only when present.
    }
    s.push(',');
    for b in buckets {
        s.push_str("bucket=");
        if v15 {
            put_bucket_id(s, "bucket_id:", b.bucket_id);
        }
        let default_weight = if group_type == 1 && v15 {
            Some(1)
        } else {
            None
        };
        let weight = b.weight.or(default_weight).unwrap_or(0);
        if weight != if group_type == 1 { 1 } else { 0 } {
            let _ = write!(s, "weight:{weight},");
        }
        if let Some(p) = b.watch_port.filter(|&p| p != WATCH_NONE) {
            s.push_str("watch_port:");
            port_from_ofp11(p).format(ctx.ports, s);
            s.push(',');
        }
        if let Some(g) = b.watch_group.filter(|&g| g != WATCH_NONE) {
            let _ = write!(s, "watch_group:{g},");
        }
        s.push_str("actions=");
        ctx.flow_text.format_actions(&b.actions, ctx, s);
        s.push(',');
    }
    if s.ends_with(',') {
        s.pop();
    }
}

/// The Netronome selection-method group property (`ntr_group_prop_selection_method`):
/// experimenter 0x0000154d (or the compat id 0x00001540), type 1, 4 pad bytes, a 16-byte
/// method name, a u64 parameter, then OXM headers (with "value" = mask) of the hashed fields.
fn format_selection_method(s: &mut String, p: &Prop) {
    let d = &p.data;
    if p.prop_type != 0xffff || d.len() < 36 {
        return;
    }
    let id = u32::from_be_bytes([d[0], d[1], d[2], d[3]]);
    let ty = u32::from_be_bytes([d[4], d[5], d[6], d[7]]);
    if !(id == 0x154d || id == 0x1540) || ty != 1 {
        return;
    }
    let name = &d[12..28];
    let end = name.iter().position(|&c| c == 0).unwrap_or(16);
    let name = String::from_utf8_lossy(&name[..end]);
    if name.is_empty() {
        return;
    }
    let _ = write!(s, ",selection_method={name}");
    let param = u64::from_be_bytes([d[28], d[29], d[30], d[31], d[32], d[33], d[34], d[35]]);
    if param != 0 {
        let _ = write!(s, ",selection_method_param={param}");
    }
    let mut fields: Vec<(Field, String)> = Vec::new();
    let mut rest = &d[36..];
    while rest.len() >= 4 {
        let h = OxmHeader(u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]));
        let len = h.length() as usize;
        let Some(payload) = rest.get(4..4 + len) else {
            break;
        };
        rest = &rest[4 + len..];
        let plain = OxmHeader(h.0 & !0x100);
        let Some(field) = Field::from_header(plain, 0) else {
            continue;
        };
        // OVS keeps these fields in a bitmap: sorted by field, each once, the payload being
        // the mask of the hashed bits (the second half when the has-mask bit is set).
        let mask = if h.has_mask() {
            &payload[len / 2..]
        } else {
            payload
        };
        let mut text = field.name().to_owned();
        if let Some(m) = Value::from_slice(mask) {
            if !m.is_all_ones() {
                text.push('=');
                value::format(field, &m, None, None, &mut text);
            }
        }
        if !fields.iter().any(|(f, _)| *f == field) {
            fields.push((field, text));
        }
    }
    fields.sort_by_key(|(f, _)| *f);
    let n = fields.len();
    let fields = fields
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(",");
    match n {
        0 => {}
        1 => {
            let _ = write!(s, ",fields={fields}");
        }
        _ => {
            let _ = write!(s, ",fields({fields})");
        }
    }
}

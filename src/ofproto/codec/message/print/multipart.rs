//! Multipart bodies as `ofp_to_string__` prints them (`ofp_print_stats` flags first).

use super::body::{format_group, format_meter_config, put_meter_id, PrintResult};
use super::{c_hex, put_bit_names, put_duration, PrintContext};
use crate::ofproto::codec::message::multipart::{
    MpReply, MpRequest, MultipartReply, MultipartRequest, TableFeatures, GROUP_ALL, MORE,
};
use crate::ofproto::codec::message::Header;
use crate::ofproto::codec::port::PortNo;
use crate::ofproto::codec::Version;
use crate::ofproto::text::TableNames;
use std::fmt::Write;

fn put_flags(s: &mut String, flags: u16, is_request: bool, version: u8) {
    if flags == 0 {
        return;
    }
    s.push_str(" flags=");
    let mut left = flags;
    if (!is_request || version >= Version::Of13.wire()) && flags & MORE != 0 {
        s.push_str("[more]");
        left &= !MORE;
    }
    if left != 0 {
        let _ = write!(s, "[***unknown flags 0x{left:04x}***]");
    }
}

fn put_group_id(s: &mut String, id: u32) {
    match id {
        GROUP_ALL => s.push_str("ALL"),
        0xffff_ffff => s.push_str("ANY"),
        n => {
            let _ = write!(s, "{n}");
        }
    }
}

pub(super) fn format_request(
    h: &Header,
    m: &MultipartRequest,
    ctx: &PrintContext<'_>,
    s: &mut String,
) -> PrintResult {
    put_flags(s, m.flags, true, h.version);
    match &m.body {
        MpRequest::Flow(f) | MpRequest::Aggregate(f) => {
            if f.table_id != 0xff {
                s.push_str(" table=");
                TableNames::format(ctx.tables, f.table_id, s);
            }
            if f.out_port != PortNo::ANY {
                s.push_str(" out_port=");
                f.out_port.format(ctx.ports, s);
            }
            s.push(' ');
            ctx.flow_text.format_match(&f.match_, 0x8000, ctx, s);
        }
        MpRequest::PortDesc { port_no } => {
            s.push_str(" port=");
            PortNo::from_ofp11(*port_no)
                .unwrap_or(PortNo::ANY)
                .format(ctx.ports, s);
        }
        MpRequest::GroupDesc { group_id } => {
            s.push_str(" group_id=");
            put_group_id(s, *group_id);
        }
        MpRequest::Meter { meter_id } | MpRequest::MeterConfig { meter_id } => {
            s.push(' ');
            put_meter_id(s, *meter_id, '=');
        }
        MpRequest::TableFeatures(v) => {
            format_table_features(v, h.version == Version::Of15.wire(), s)?
        }
        _ => {}
    }
    Ok(())
}

pub(super) fn format_reply(
    h: &Header,
    m: &MultipartReply,
    ctx: &PrintContext<'_>,
    s: &mut String,
) -> PrintResult {
    put_flags(s, m.flags, false, h.version);
    let v15 = h.version == Version::Of15.wire();
    match &m.body {
        MpReply::Desc(d) => {
            s.push('\n');
            let _ = writeln!(s, "Manufacturer: {}", d.mfr_desc.to_string_lossy());
            let _ = writeln!(s, "Hardware: {}", d.hw_desc.to_string_lossy());
            let _ = writeln!(s, "Software: {}", d.sw_desc.to_string_lossy());
            let _ = writeln!(s, "Serial Num: {}", d.serial_num.to_string_lossy());
            let _ = writeln!(s, "DP Description: {}", d.dp_desc.to_string_lossy());
        }
        MpReply::Flow(flows) => {
            for f in flows {
                s.push_str("\n ");
                ctx.flow_text.format_flow_stats(f, ctx, s);
            }
        }
        MpReply::Aggregate(a) => {
            let _ = write!(
                s,
                " packet_count={} byte_count={} flow_count={}",
                a.packet_count, a.byte_count, a.flow_count
            );
        }
        MpReply::Table(tables) => {
            let mut ditto: Option<(u8, u8)> = None;
            for (i, t) in tables.iter().enumerate() {
                let same = i > 0 && {
                    let p = &tables[i - 1];
                    (p.active_count, p.lookup_count, p.matched_count)
                        == (t.active_count, t.lookup_count, t.matched_count)
                };
                if same {
                    ditto = Some((ditto.map_or(t.table_id, |d| d.0), t.table_id));
                    continue;
                }
                finish_ditto(s, ditto.take());
                let _ = write!(s, "\n  table {}:\n", t.table_id);
                let _ = writeln!(
                    s,
                    "    active={}, lookup={}, matched={}",
                    t.active_count, t.lookup_count, t.matched_count
                );
            }
            finish_ditto(s, ditto);
        }
        MpReply::PortDesc(ports) => {
            s.push('\n');
            super::port::format_ports(ports, s);
        }
        MpReply::GroupDesc(groups) => {
            for g in groups {
                s.push_str("\n ");
                format_group(
                    s,
                    g.group_id,
                    g.group_type,
                    &g.buckets,
                    &g.props,
                    v15,
                    false,
                    ctx,
                );
            }
        }
        MpReply::TableFeatures(v) => format_table_features(v, v15, s)?,
        MpReply::Meter(meters) => {
            for ms in meters {
                s.push('\n');
                put_meter_id(s, ms.meter_id, ':');
                let _ = write!(
                    s,
                    " flow_count:{} packet_in_count:{} byte_in_count:{} duration:",
                    ms.flow_count, ms.packet_in_count, ms.byte_in_count
                );
                put_duration(s, ms.duration_sec, ms.duration_nsec);
                s.push_str(" bands:\n");
                for (i, b) in ms.bands.iter().enumerate() {
                    let _ = writeln!(
                        s,
                        "{i}: packet_count:{} byte_count:{}",
                        b.packet_count, b.byte_count
                    );
                }
            }
        }
        MpReply::MeterConfig(configs) => {
            for mc in configs {
                s.push('\n');
                format_meter_config(s, mc.meter_id, mc.flags, &mc.bands);
            }
        }
        MpReply::MeterFeatures(f) => {
            let _ = writeln!(
                s,
                "\nmax_meter:{} max_bands:{} max_color:{}",
                f.max_meter, f.max_bands, f.max_color
            );
            s.push_str("band_types: ");
            put_bit_names(
                s,
                f.band_types,
                |b| match b {
                    2 => Some("drop"),
                    4 => Some("dscp_remark"),
                    _ => None,
                },
                ' ',
            );
            s.push_str("\ncapabilities: ");
            put_bit_names(
                s,
                f.capabilities,
                |b| match b {
                    1 => Some("kbps"),
                    2 => Some("pktps"),
                    4 => Some("burst"),
                    8 => Some("stats"),
                    _ => None,
                },
                ' ',
            );
            s.push('\n');
        }
        MpReply::Raw { .. } => {}
    }
    Ok(())
}

fn finish_ditto(s: &mut String, ditto: Option<(u8, u8)>) {
    if let Some((first, last)) = ditto {
        if first == last {
            let _ = write!(s, "\n  table {first}: ditto\n");
        } else {
            let _ = write!(s, "\n  tables {first}...{last}: ditto\n");
        }
    }
}

/// Table features without properties (what a name-setting request carries), as
/// `ofputil_table_features_format` prints them. Properties (instruction, action and field
/// summaries) are not printed: the caller gets an error name so the output is visibly partial.
fn format_table_features(v: &[TableFeatures], v15: bool, s: &mut String) -> PrintResult {
    let mut ditto: Option<(u8, u8)> = None;
    for (i, t) in v.iter().enumerate() {
        if i == 0 && t.command != 0 {
            s.push_str("\n  command: ");
            s.push_str(match t.command {
                1 => "modify",
                2 => "enable",
                3 => "disable",
                _ => "***bad command***",
            });
        }
        // `table_features_equal` ignores the name and the table id.
        let same = i > 0 && {
            let p = &v[i - 1];
            (
                p.metadata_match,
                p.metadata_write,
                p.capabilities,
                p.max_entries,
            ) == (
                t.metadata_match,
                t.metadata_write,
                t.capabilities,
                t.max_entries,
            ) && p.props == t.props
        };
        let name = t.name.to_string_lossy();
        if same && name.is_empty() {
            ditto = Some((ditto.map_or(t.table_id, |d| d.0), t.table_id));
            continue;
        }
        finish_ditto(s, ditto.take());
        let _ = write!(s, "\n  table {}", t.table_id);
        if !name.is_empty() {
            let _ = write!(s, " (\"{name}\")");
        }
        s.push(':');
        if same {
            s.push_str(" ditto");
            continue;
        }
        s.push('\n');
        if t.metadata_match != 0 || t.metadata_write != 0 {
            let _ = writeln!(
                s,
                "    metadata: match={} write={}",
                c_hex(t.metadata_match),
                c_hex(t.metadata_write)
            );
        }
        if v15 {
            let not = |bit: u32| {
                if t.capabilities & bit != 0 {
                    ""
                } else {
                    "not "
                }
            };
            let _ = writeln!(s, "    eviction: {}supported", not(1 << 2));
            let _ = writeln!(s, "    vacancy events: {}supported", not(1 << 3));
        }
        if t.max_entries != 0 {
            let _ = writeln!(s, "    max_entries={}", t.max_entries);
        }
        if !t.props.is_empty() {
            return Err("table feature properties not printed");
        }
    }
    finish_ditto(s, ditto);
    Ok(())
}

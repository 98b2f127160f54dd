//! Port names in flow text (`--names`), against a real bridge: flows written with port names
//! (quoted when OVS quotes them) parse to the right numbers, and `ovs-ofctl --names
//! dump-flows` prints exactly what our printer makes of the flow-stats replies it received.
//! Ports are patch ports (no kernel devices) between two bridges.

mod codec_match_support;

use codec_match_support::proxy::{split_messages, Proxy};
use ovs_egress::ofproto::codec::message::{self, msg_type, Message, MpReply};
use ovs_egress::ofproto::codec::{FlowModCommand, FlowStats, PortNames, PortNo, Version};
use ovs_egress::ofproto::text::flow::{format_flow_stats, parse_flow, FlowStatsFormat};
use ovs_egress::ofproto::text::TextContext;
use ovs_egress::sandbox::{wait_for, Sandbox};
use std::time::Duration;

const PORTS: [(&str, &str); 3] = [
    ("antrea-tun0", "peer-a"),
    ("p1", "peer-b"),
    ("1vm", "peer-c"),
];

const FLOWS: [&str; 5] = [
    "priority=200,in_port=\"antrea-tun0\",actions=output:p1",
    "priority=190,in_port=p1,ip,actions=output:\"antrea-tun0\",output:\"1vm\"",
    "priority=180,in_port=\"1vm\",actions=resubmit(\"antrea-tun0\",1)",
    "table=1,priority=100,actions=output:NXM_NX_REG1[0..15],LOCAL",
    "priority=170,in_port=LOCAL,actions=controller,output:p1",
];

fn ofport(sb: &Sandbox, name: &str) -> u16 {
    let mut port = 0;
    wait_for(Duration::from_secs(30), "ofport assigned", || {
        let out = sb
            .vsctl(&["get", "interface", name, "ofport"])
            .unwrap_or_default();
        port = out.trim().parse::<i64>().unwrap_or(-1).max(0) as u16;
        port > 0
    })
    .expect("ofport");
    port
}

#[test]
fn names_in_flow_text_match_ovs_ofctl() {
    let sb = Sandbox::start().expect("sandbox");
    sb.add_bridge("br0").expect("br0");
    sb.add_bridge("br1").expect("br1");
    let mut names = PortNames::new();
    for (port, peer) in PORTS {
        sb.vsctl(&[
            "add-port",
            "br0",
            port,
            "--",
            "set",
            "interface",
            port,
            "type=patch",
            &format!("options:peer={peer}"),
            "--",
            "add-port",
            "br1",
            peer,
            "--",
            "set",
            "interface",
            peer,
            "type=patch",
            &format!("options:peer={port}"),
        ])
        .expect("patch ports");
        names.insert(PortNo(ofport(&sb, port)), port);
    }
    let br = sb.of_target("br0");
    let proxy = Proxy::start(&sb.dir().join("proxy.sock"), &sb.mgmt_sock("br0"));
    for (name, v) in [("OpenFlow13", Version::Of13), ("OpenFlow15", Version::Of15)] {
        let mut ctx = TextContext::new(v);
        ctx.ports = Some(&names);
        sb.ofctl(&["-O", name, "del-flows", &br])
            .expect("del-flows");
        for flow in FLOWS {
            sb.ofctl(&["-O", name, "add-flow", &br, flow])
                .expect("add-flow");
        }
        let stdout = sb
            .ofctl(&["-O", name, "--names", "dump-flows", &proxy.target()])
            .expect("dump-flows");
        let flows: Vec<FlowStats> = split_messages(&proxy.sessions().to_client)
            .into_iter()
            .filter(|m| m[1] == msg_type::MULTIPART_REPLY)
            .flat_map(|m| match message::decode(m).expect("decode reply").1 {
                Message::MultipartReply(r) => match r.body {
                    MpReply::Flow(f) => f,
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            })
            .collect();
        assert_eq!(flows.len(), FLOWS.len());
        let ours: Vec<String> = flows
            .iter()
            .map(|fs| format_flow_stats(fs, &FlowStatsFormat::default(), &ctx))
            .collect();
        let theirs: Vec<&str> = stdout.lines().collect();
        assert_eq!(theirs, ours, "{name}");
        assert!(stdout.contains("in_port=\"antrea-tun0\""), "{stdout}");
        // And each flow we parse by name is the one OVS installed.
        for flow in FLOWS {
            let fm = parse_flow(flow, FlowModCommand::Add, &ctx).unwrap();
            assert!(
                flows.iter().any(|fs| fs.match_ == fm.match_
                    && fs.priority == fm.priority
                    && fs.instructions == fm.instructions),
                "{name}: {flow} not installed as parsed"
            );
        }
    }
}

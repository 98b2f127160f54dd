//! How long the testbed takes to build and tear down 2- and 3-node topologies (two pods per
//! node, bridges made by the testbed, recorders running), and to carry a first TCP connection
//! once the reference flows are installed. Needs root. Run: `cargo bench --bench testbed_build`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ovs_egress::testbed::{reference_flows, Topology, TopologySpec};

const SAMPLES: usize = 5;

fn summary(mut v: Vec<Duration>) -> String {
    v.sort();
    format!(
        "min {:>7.1} ms  median {:>7.1} ms  max {:>7.1} ms",
        v[0].as_secs_f64() * 1e3,
        v[v.len() / 2].as_secs_f64() * 1e3,
        v[v.len() - 1].as_secs_f64() * 1e3
    )
}

fn main() {
    for nodes in [2, 3] {
        let (mut build, mut ready, mut teardown) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..SAMPLES {
            let mut spec = TopologySpec::new(nodes);
            spec.probe = Some(PathBuf::from(env!("CARGO_BIN_EXE_testbed-probe")));
            let start = Instant::now();
            let topo = Topology::build(spec).expect("build");
            build.push(start.elapsed());
            reference_flows::install_static(&topo).expect("flows");
            topo.warm_tunnel_neighbours().expect("neighbours");
            let ext = topo.ext();
            let seen = topo.pods()[0]
                .tcp_connect(ext.ip(), ext.tcp_port())
                .expect("tcp");
            assert_eq!(seen, topo.nodes()[0].transport_ip());
            ready.push(start.elapsed());
            let t = Instant::now();
            topo.teardown().expect("teardown");
            teardown.push(t.elapsed());
        }
        println!("{nodes} nodes, {SAMPLES} samples");
        println!("  build                         {}", summary(build));
        println!("  build + flows + first TCP     {}", summary(ready));
        println!("  teardown                      {}", summary(teardown));
    }
}

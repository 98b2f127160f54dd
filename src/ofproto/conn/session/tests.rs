//! Session tests: a scripted peer built from the message codec plays the switch. (The same
//! behaviours are checked against a real ovs-vswitchd in `tests/conn_switch.rs`.)

use super::*;
use crate::ofproto::codec::message::bundle::BUNDLE_ATOMIC;
use crate::ofproto::codec::message::multipart::{FlowStatsRequest, MORE};
use crate::ofproto::codec::message::{MpReply, MpRequest, MultipartRequest};
use crate::ofproto::codec::{FlowMod, FlowStats};

fn t0() -> Instant {
    Instant::now()
}

/// Decodes everything the session wants to send.
fn sent(s: &mut Session) -> Vec<(Header, Message)> {
    let mut out = Vec::new();
    if let Some(mut b) = s.poll_transmit() {
        while let Some(f) = OfFramer::next_frame(&mut b).unwrap() {
            out.push(message::decode(&f).unwrap());
        }
        assert!(b.is_empty());
    }
    out
}

fn events(s: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn feed(s: &mut Session, now: Instant, v: Version, xid: u32, m: &Message) {
    let mut b = BytesMut::new();
    message::encode(v, xid, m, &mut b).unwrap();
    s.handle_bytes(now, &b);
}

fn connected(v: Version) -> (Session, Instant) {
    let now = t0();
    let mut s = Session::new(SessionConfig::default(), now);
    sent(&mut s);
    let hello = Message::Hello(Hello::with_versions(&[v]));
    let mut b = BytesMut::new();
    message::encode_wire_version(v.wire(), 99, &hello, &mut b).unwrap();
    s.handle_bytes(now, &b);
    assert!(matches!(events(&mut s)[..], [Event::Connected(x)] if x == v));
    (s, now)
}

fn flow_mod(priority: u16) -> Message {
    Message::FlowMod(FlowMod {
        priority,
        ..FlowMod::default()
    })
}

fn error(code: u16) -> Message {
    Message::Error(ErrorMsg {
        code: ErrorCode::Standard { err_type: 2, code },
        data: Bytes::from_static(&[4, 14, 0, 8, 0, 0, 0, 0]),
    })
}

fn done(e: &Event) -> (OpId, &Result<Reply, ConnError>) {
    match e {
        Event::Done { op, result } => (*op, result),
        other => panic!("expected Done, got {other:?}"),
    }
}

#[test]
fn hello_carries_a_version_bitmap_and_negotiates_the_highest_common_version() {
    let now = t0();
    let mut s = Session::new(SessionConfig::default(), now);
    let bytes = s.poll_transmit().unwrap();
    // Header version 6 (our highest), one VERSIONBITMAP element with bits 4 and 6.
    assert_eq!(
        &bytes[..],
        &[6, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0, 8, 0, 0, 0, 0x50]
    );
    assert!(
        s.send(&Message::BarrierRequest).is_err(),
        "nothing before the handshake"
    );

    // A peer that only speaks 1.0..1.3 (no bitmap, header version 4) gets 1.3.
    let mut b = BytesMut::new();
    message::encode_wire_version(4, 1, &Message::Hello(Hello::default()), &mut b).unwrap();
    s.handle_bytes(now, &b);
    assert!(matches!(
        events(&mut s)[..],
        [Event::Connected(Version::Of13)]
    ));
    assert_eq!(s.version(), Some(Version::Of13));
}

#[test]
fn incompatible_peer_gets_hello_failed_and_the_session_closes() {
    let now = t0();
    let mut s = Session::new(SessionConfig::default(), now);
    sent(&mut s);
    let mut b = BytesMut::new();
    message::encode_wire_version(1, 5, &Message::Hello(Hello::default()), &mut b).unwrap();
    s.handle_bytes(now, &b);
    let out = s.poll_transmit().unwrap();
    // OFPT_ERROR in the peer's version, OFPET_HELLO_FAILED / OFPHFC_INCOMPATIBLE.
    assert_eq!(&out[..4], &[1, 1, out[2], out[3]]);
    assert_eq!(&out[8..12], &[0, 0, 0, 0]);
    let ev = events(&mut s);
    assert!(matches!(
        &ev[..],
        [Event::Closed(ConnError::Protocol(
            ProtocolError::NoCommonVersion {
                ours: 0x50,
                theirs: 2
            }
        ))]
    ));
    assert!(s.is_closed());
}

#[test]
fn echo_requests_are_answered_and_idle_connections_probed_then_dropped() {
    let (mut s, now) = connected(Version::Of13);
    feed(
        &mut s,
        now,
        Version::Of13,
        0x77,
        &Message::EchoRequest(Bytes::from_static(b"ab")),
    );
    let out = sent(&mut s);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0.xid, 0x77);
    assert_eq!(out[0].1, Message::EchoReply(Bytes::from_static(b"ab")));

    let p = Duration::from_secs(5);
    assert_eq!(s.poll_timeout(), Some(now + p));
    s.handle_timeout(now + p - Duration::from_millis(1));
    assert!(sent(&mut s).is_empty());
    s.handle_timeout(now + p);
    let probe = sent(&mut s);
    assert!(matches!(probe[..], [(_, Message::EchoRequest(_))]));
    // Any input counts as life: the probe's own reply is swallowed, not reported.
    let t1 = now + p + Duration::from_secs(1);
    feed(
        &mut s,
        t1,
        Version::Of13,
        probe[0].0.xid,
        &Message::EchoReply(Bytes::new()),
    );
    assert!(events(&mut s).is_empty());
    assert_eq!(s.poll_timeout(), Some(t1 + p));
    s.handle_timeout(t1 + p);
    assert_eq!(sent(&mut s).len(), 1);
    s.handle_timeout(t1 + p + p);
    assert!(matches!(
        events(&mut s)[..],
        [Event::Closed(ConnError::Protocol(
            ProtocolError::EchoTimeout(_)
        ))]
    ));
}

#[test]
fn hello_timeout_closes() {
    let now = t0();
    let mut s = Session::new(SessionConfig::default(), now);
    s.handle_timeout(now + Duration::from_secs(10));
    assert!(matches!(
        events(&mut s)[..],
        [Event::Closed(ConnError::Protocol(
            ProtocolError::HelloTimeout(_)
        ))]
    ));
}

#[test]
fn xids_are_unique_and_replies_routed_by_xid() {
    let (mut s, now) = connected(Version::Of15);
    let a = s.request(&Message::FeaturesRequest).unwrap();
    let b = s.request(&Message::GetConfigRequest).unwrap();
    let out = sent(&mut s);
    let (xa, xb) = (out[0].0.xid, out[1].0.xid);
    assert!(xa != 0 && xb != 0 && xa != xb);
    // Answer out of order; an unrelated message is an async event.
    let cfg = message::SwitchConfig::default();
    feed(
        &mut s,
        now,
        Version::Of15,
        xb,
        &Message::GetConfigReply(cfg),
    );
    feed(&mut s, now, Version::Of15, 12345, &Message::BarrierReply);
    let ev = events(&mut s);
    assert_eq!(done(&ev[0]).0, b);
    assert!(matches!(
        done(&ev[0]).1,
        Ok(Reply::Message(Message::GetConfigReply(_)))
    ));
    assert!(
        matches!(&ev[1], Event::Async { header, message: Message::BarrierReply } if header.xid == 12345)
    );
    // An error for the other request fails it with the switch's code.
    feed(&mut s, now, Version::Of15, xa, &error(4));
    let ev = events(&mut s);
    let (op, r) = done(&ev[0]);
    assert_eq!(op, a);
    let e = r.as_ref().unwrap_err().switch_error().unwrap();
    assert_eq!(
        e.code,
        ErrorCode::Standard {
            err_type: 2,
            code: 4
        }
    );
    assert_eq!(e.name(), Some("OFPBAC_BAD_OUT_PORT"));
    assert_eq!(s.ops_in_flight(), 0);
}

fn flow_part(n: u16, more: bool) -> Message {
    let flows = (0..n)
        .map(|i| FlowStats {
            priority: i,
            ..FlowStats::default()
        })
        .collect();
    Message::MultipartReply(MultipartReply {
        flags: if more { MORE } else { 0 },
        body: MpReply::Flow(flows),
    })
}

fn dump_request() -> Message {
    Message::MultipartRequest(MultipartRequest {
        flags: 0,
        body: MpRequest::Flow(FlowStatsRequest::default()),
    })
}

#[test]
fn multipart_parts_are_collected_or_streamed() {
    let (mut s, now) = connected(Version::Of13);
    let op = s.request(&dump_request()).unwrap();
    let xid = sent(&mut s)[0].0.xid;
    feed(&mut s, now, Version::Of13, xid, &flow_part(2, true));
    feed(&mut s, now, Version::Of13, xid, &flow_part(3, true));
    assert!(events(&mut s).is_empty());
    feed(&mut s, now, Version::Of13, xid, &flow_part(1, false));
    let ev = events(&mut s);
    let (id, r) = done(&ev[0]);
    assert_eq!(id, op);
    match r {
        Ok(Reply::Multipart(MultipartReply {
            flags: 0,
            body: MpReply::Flow(f),
        })) => assert_eq!(f.len(), 6),
        other => panic!("{other:?}"),
    }

    let op = s
        .request_with(&dump_request(), MultipartMode::Stream)
        .unwrap();
    let xid = sent(&mut s)[0].0.xid;
    feed(&mut s, now, Version::Of13, xid, &flow_part(2, true));
    feed(&mut s, now, Version::Of13, xid, &flow_part(1, false));
    let ev = events(&mut s);
    assert_eq!(ev.len(), 3);
    assert!(
        matches!(&ev[0], Event::Part { op: o, xid: x, part } if *o == op && *x == xid && part.more())
    );
    assert!(matches!(&ev[1], Event::Part { part, .. } if !part.more()));
    assert!(matches!(done(&ev[2]).1, Ok(Reply::MultipartDone)));
}

#[test]
fn batch_reports_errors_with_indexes_before_the_barrier() {
    let (mut s, now) = connected(Version::Of13);
    let msgs = [flow_mod(1), flow_mod(2), flow_mod(3)];
    let op = s.batch(&msgs).unwrap();
    let out = sent(&mut s);
    assert_eq!(out.len(), 4);
    assert!(matches!(out[3].1, Message::BarrierRequest));
    feed(&mut s, now, Version::Of13, out[1].0.xid, &error(4));
    assert!(events(&mut s).is_empty(), "held until the barrier");
    feed(
        &mut s,
        now,
        Version::Of13,
        out[3].0.xid,
        &Message::BarrierReply,
    );
    let ev = events(&mut s);
    let (id, r) = done(&ev[0]);
    assert_eq!(id, op);
    let Ok(Reply::Barrier { errors }) = r else {
        panic!("{r:?}")
    };
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].stage, errors[0].index), (Stage::Batch, Some(1)));

    // A message that cannot be encoded sends nothing at all.
    let bad = Message::Raw {
        msg_type: 99,
        body: Bytes::from(vec![0u8; 70000]),
    };
    assert!(s.batch(&[flow_mod(1), bad]).is_err());
    assert!(s.poll_transmit().is_none());
}

/// Plays the switch's side of a bundle: answers control messages and barriers, and sends the
/// given error for the add at `fail_add` (before the barrier reply, as OVS does).
fn run_bundle(v: Version, fail_add: Option<usize>, fail_commit: Option<usize>) -> Vec<Event> {
    let (mut s, now) = connected(v);
    let op = s.open_bundle(BUNDLE_ATOMIC).unwrap();
    for p in 0..3 {
        s.bundle_add(op, &flow_mod(p)).unwrap();
    }
    s.commit_bundle(op).unwrap();
    let mut add_xids = Vec::new();
    let mut log = Vec::new();
    for _ in 0..4 {
        let out = sent(&mut s);
        if out.is_empty() {
            break;
        }
        for (h, m) in out {
            match m {
                Message::BundleControl(c) => {
                    log.push(ctrl_type::name(c.ctrl_type).unwrap());
                    assert_eq!(c.flags, BUNDLE_ATOMIC);
                    if c.ctrl_type == ctrl_type::COMMIT_REQUEST {
                        if let Some(i) = fail_commit {
                            feed(&mut s, now, v, add_xids[i], &error(4));
                            let failed = Message::Error(ErrorMsg {
                                code: ErrorCode::from_name("OFPBFC_MSG_FAILED", v).unwrap(),
                                data: Bytes::new(),
                            });
                            feed(&mut s, now, v, h.xid, &failed);
                            continue;
                        }
                    }
                    let reply = Message::bundle_control(c.bundle_id, c.ctrl_type + 1, 0);
                    feed(&mut s, now, v, h.xid, &reply);
                }
                Message::BundleAdd(a) => {
                    log.push("ADD");
                    assert_eq!(a.flags, BUNDLE_ATOMIC);
                    if fail_add == Some(add_xids.len()) {
                        feed(&mut s, now, v, h.xid, &error(4));
                    }
                    add_xids.push(h.xid);
                }
                Message::BarrierRequest => {
                    log.push("BARRIER");
                    feed(&mut s, now, v, h.xid, &Message::BarrierReply);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    let mut ev = events(&mut s);
    ev.push(Event::Closed(ConnError::Protocol(
        ProtocolError::HelloFailed(log.join(" ")),
    )));
    assert_eq!(s.ops_in_flight(), 0);
    ev
}

fn log_of(ev: &[Event]) -> &str {
    match ev.last() {
        Some(Event::Closed(ConnError::Protocol(ProtocolError::HelloFailed(l)))) => l,
        _ => "",
    }
}

#[test]
fn bundle_commits_after_a_clean_barrier() {
    for v in [Version::Of13, Version::Of15] {
        let ev = run_bundle(v, None, None);
        assert_eq!(
            log_of(&ev),
            "OPEN_REQUEST ADD ADD ADD CLOSE_REQUEST BARRIER COMMIT_REQUEST"
        );
        assert!(matches!(done(&ev[0]).1, Ok(Reply::Committed)));
    }
}

#[test]
fn bundle_with_a_refused_add_is_discarded_and_names_the_message() {
    for v in [Version::Of13, Version::Of15] {
        let ev = run_bundle(v, Some(1), None);
        assert_eq!(
            log_of(&ev),
            "OPEN_REQUEST ADD ADD ADD CLOSE_REQUEST BARRIER DISCARD_REQUEST"
        );
        let e = done(&ev[0]).1.as_ref().unwrap_err().switch_error().unwrap();
        assert_eq!((e.stage, e.index), (Stage::BundleAdd, Some(1)));
        assert_eq!(e.name(), Some("OFPBAC_BAD_OUT_PORT"));
    }
}

#[test]
fn bundle_failing_at_commit_names_the_message_that_failed_to_apply() {
    let ev = run_bundle(Version::Of15, None, Some(2));
    assert_eq!(
        log_of(&ev),
        "OPEN_REQUEST ADD ADD ADD CLOSE_REQUEST BARRIER COMMIT_REQUEST"
    );
    let e = done(&ev[0]).1.as_ref().unwrap_err().switch_error().unwrap();
    assert_eq!((e.stage, e.index), (Stage::BundleCommit, Some(2)));
}

#[test]
fn connection_loss_fails_every_operation_then_reports_closed() {
    let (mut s, _) = connected(Version::Of13);
    let b = s.open_bundle(BUNDLE_ATOMIC).unwrap();
    s.bundle_add(b, &flow_mod(1)).unwrap();
    let r = s.barrier().unwrap();
    s.connection_lost(ConnError::Disconnected);
    let ev = events(&mut s);
    assert_eq!(ev.len(), 3);
    assert_eq!(done(&ev[0]).0, b);
    assert!(matches!(done(&ev[0]).1, Err(ConnError::Disconnected)));
    assert_eq!(done(&ev[1]).0, r);
    assert!(matches!(ev[2], Event::Closed(_)));
    assert!(s.bundle_add(b, &flow_mod(2)).is_err());
}

#[test]
fn undecodable_reply_fails_its_request_and_bad_framing_closes() {
    let (mut s, now) = connected(Version::Of13);
    let op = s.request(&Message::GetConfigRequest).unwrap();
    let xid = sent(&mut s)[0].0.xid;
    // GET_CONFIG_REPLY with a 3-byte body.
    let mut b = vec![4, 8, 0, 11];
    b.extend_from_slice(&xid.to_be_bytes());
    b.extend_from_slice(&[0, 0, 1]);
    s.handle_bytes(now, &b);
    // The same from nobody we asked.
    b[4..8].copy_from_slice(&[0, 0, 0x10, 0]);
    s.handle_bytes(now, &b);
    let ev = events(&mut s);
    assert_eq!(done(&ev[0]).0, op);
    assert!(matches!(
        done(&ev[0]).1,
        Err(ConnError::Protocol(ProtocolError::Decode {
            msg_type: 8,
            ..
        }))
    ));
    assert!(matches!(&ev[1], Event::Undecodable { header, .. } if header.xid == 0x1000));
    s.handle_bytes(now, &[4, 0, 0, 4, 0, 0, 0, 0]);
    assert!(matches!(
        events(&mut s)[..],
        [Event::Closed(ConnError::Protocol(ProtocolError::Framing(
            4
        )))]
    ));
}

#[test]
fn abandoned_operations_stay_quiet_and_open_bundles_are_discarded() {
    let (mut s, now) = connected(Version::Of15);
    let op = s.request(&Message::FeaturesRequest).unwrap();
    let xid = sent(&mut s)[0].0.xid;
    s.abandon(op);
    feed(&mut s, now, Version::Of15, xid, &error(1));
    assert!(events(&mut s).is_empty());

    let b = s.open_bundle(BUNDLE_ATOMIC).unwrap();
    sent(&mut s);
    s.abandon(b);
    let out = sent(&mut s);
    assert!(
        matches!(&out[..], [(_, Message::BundleControl(c))] if c.ctrl_type == ctrl_type::DISCARD_REQUEST)
    );
    feed(
        &mut s,
        now,
        Version::Of15,
        out[0].0.xid,
        &Message::bundle_control(1, ctrl_type::DISCARD_REPLY, 0),
    );
    assert!(events(&mut s).is_empty());
    assert_eq!(s.ops_in_flight(), 0);
}

#[test]
fn errors_for_fire_and_forget_messages_are_events() {
    let (mut s, now) = connected(Version::Of13);
    let xid = s.send(&flow_mod(5)).unwrap();
    sent(&mut s);
    feed(&mut s, now, Version::Of13, xid, &error(4));
    let ev = events(&mut s);
    assert!(matches!(&ev[..], [Event::Error(e)] if e.xid == xid && e.index.is_none()));
}

// Facts from Open vSwitch 3.1 include/openvswitch/ofp-errors.h: each error name with its
// (vendor, type, code) in OpenFlow 1.3 and 1.5. Vendor 0 = standard error; otherwise an
// experimenter error (type 0xffff on the wire, exp_type = type). Regenerate by hand if OVS adds
// errors. Order follows ofp-errors.h (first match wins when decoding, as in OVS).

/// `(vendor, type, code)` of an error in one version.
pub(super) type Triplet = Option<(u32, u16, u16)>;

pub(super) const ERRORS: &[(&str, Triplet, Triplet)] = &[
    (
        "OFPHFC_INCOMPATIBLE",
        Some((0x00000000, 0, 0)),
        Some((0x00000000, 0, 0)),
    ),
    (
        "OFPHFC_EPERM",
        Some((0x00000000, 0, 1)),
        Some((0x00000000, 0, 1)),
    ),
    (
        "OFPBRC_BAD_VERSION",
        Some((0x00000000, 1, 0)),
        Some((0x00000000, 1, 0)),
    ),
    (
        "OFPBRC_BAD_TYPE",
        Some((0x00000000, 1, 1)),
        Some((0x00000000, 1, 1)),
    ),
    (
        "OFPBRC_BAD_STAT",
        Some((0x00000000, 1, 2)),
        Some((0x00000000, 1, 2)),
    ),
    (
        "OFPBRC_BAD_VENDOR",
        Some((0x00000000, 1, 3)),
        Some((0x00000000, 1, 3)),
    ),
    (
        "OFPBRC_BAD_SUBTYPE",
        Some((0x00000000, 1, 4)),
        Some((0x00000000, 1, 4)),
    ),
    (
        "OFPBRC_EPERM",
        Some((0x00000000, 1, 5)),
        Some((0x00000000, 1, 5)),
    ),
    (
        "OFPBRC_BAD_LEN",
        Some((0x00000000, 1, 6)),
        Some((0x00000000, 1, 6)),
    ),
    (
        "OFPBRC_BUFFER_EMPTY",
        Some((0x00000000, 1, 7)),
        Some((0x00000000, 1, 7)),
    ),
    (
        "OFPBRC_BUFFER_UNKNOWN",
        Some((0x00000000, 1, 8)),
        Some((0x00000000, 1, 8)),
    ),
    (
        "OFPBRC_BAD_TABLE_ID",
        Some((0x00000000, 1, 9)),
        Some((0x00000000, 1, 9)),
    ),
    (
        "OFPBRC_IS_SECONDARY",
        Some((0x00000000, 1, 10)),
        Some((0x00000000, 1, 10)),
    ),
    (
        "OFPBRC_BAD_PORT",
        Some((0x00000000, 1, 11)),
        Some((0x00000000, 1, 11)),
    ),
    (
        "OFPBRC_BAD_PACKET",
        Some((0x00000000, 1, 12)),
        Some((0x00000000, 1, 12)),
    ),
    (
        "OFPBRC_MULTIPART_BUFFER_OVERFLOW",
        Some((0x00000000, 1, 13)),
        Some((0x00000000, 1, 13)),
    ),
    (
        "OFPBRC_MULTIPART_REQUEST_TIMEOUT",
        Some((0x4f4e4600, 2640, 0)),
        Some((0x00000000, 1, 14)),
    ),
    (
        "OFPBRC_MULTIPART_REPLY_TIMEOUT",
        Some((0x4f4e4600, 2641, 0)),
        Some((0x00000000, 1, 15)),
    ),
    (
        "OFPBRC_MULTIPART_BAD_SCHED",
        None,
        Some((0x00000000, 1, 16)),
    ),
    (
        "OFPBRC_PIPELINE_FIELDS_ONLY",
        None,
        Some((0x00000000, 1, 17)),
    ),
    ("OFPBRC_UNKNOWN", None, Some((0x00000000, 1, 18))),
    (
        "NXBRC_NXM_INVALID",
        Some((0x00002320, 2, 0)),
        Some((0x00002320, 2, 0)),
    ),
    (
        "NXBRC_NXM_BAD_TYPE",
        Some((0x00002320, 3, 0)),
        Some((0x00002320, 3, 0)),
    ),
    (
        "NXBRC_MUST_BE_ZERO",
        Some((0x00002320, 4, 0)),
        Some((0x00002320, 4, 0)),
    ),
    (
        "NXBRC_BAD_REASON",
        Some((0x00002320, 5, 0)),
        Some((0x00002320, 5, 0)),
    ),
    (
        "NXBRC_FM_BAD_EVENT",
        Some((0x00002320, 9, 0)),
        Some((0x00002320, 9, 0)),
    ),
    (
        "NXBRC_UNENCODABLE_ERROR",
        Some((0x00002320, 10, 0)),
        Some((0x00002320, 10, 0)),
    ),
    (
        "OFPBAC_BAD_TYPE",
        Some((0x00000000, 2, 0)),
        Some((0x00000000, 2, 0)),
    ),
    (
        "OFPBAC_BAD_LEN",
        Some((0x00000000, 2, 1)),
        Some((0x00000000, 2, 1)),
    ),
    (
        "OFPBAC_BAD_VENDOR",
        Some((0x00000000, 2, 2)),
        Some((0x00000000, 2, 2)),
    ),
    (
        "OFPBAC_BAD_VENDOR_TYPE",
        Some((0x00000000, 2, 3)),
        Some((0x00000000, 2, 3)),
    ),
    (
        "OFPBAC_BAD_OUT_PORT",
        Some((0x00000000, 2, 4)),
        Some((0x00000000, 2, 4)),
    ),
    (
        "OFPBAC_BAD_ARGUMENT",
        Some((0x00000000, 2, 5)),
        Some((0x00000000, 2, 5)),
    ),
    (
        "OFPBAC_EPERM",
        Some((0x00000000, 2, 6)),
        Some((0x00000000, 2, 6)),
    ),
    (
        "OFPBAC_TOO_MANY",
        Some((0x00000000, 2, 7)),
        Some((0x00000000, 2, 7)),
    ),
    (
        "OFPBAC_BAD_QUEUE",
        Some((0x00000000, 2, 8)),
        Some((0x00000000, 2, 8)),
    ),
    (
        "OFPBAC_BAD_OUT_GROUP",
        Some((0x00000000, 2, 9)),
        Some((0x00000000, 2, 9)),
    ),
    (
        "OFPBAC_MATCH_INCONSISTENT",
        Some((0x00000000, 2, 10)),
        Some((0x00000000, 2, 10)),
    ),
    (
        "OFPBAC_UNSUPPORTED_ORDER",
        Some((0x00000000, 2, 11)),
        Some((0x00000000, 2, 11)),
    ),
    (
        "OFPBAC_BAD_TAG",
        Some((0x00000000, 2, 12)),
        Some((0x00000000, 2, 12)),
    ),
    (
        "OFPBAC_BAD_SET_TYPE",
        Some((0x00000000, 2, 13)),
        Some((0x00000000, 2, 13)),
    ),
    (
        "OFPBAC_BAD_SET_LEN",
        Some((0x00000000, 2, 14)),
        Some((0x00000000, 2, 14)),
    ),
    (
        "OFPBAC_BAD_SET_ARGUMENT",
        Some((0x00000000, 2, 15)),
        Some((0x00000000, 2, 15)),
    ),
    (
        "OFPBAC_BAD_SET_MASK",
        Some((0x4f4e4600, 4250, 0)),
        Some((0x00000000, 2, 16)),
    ),
    ("OFPBAC_BAD_METER", None, Some((0x00000000, 2, 17))),
    (
        "NXBAC_MUST_BE_ZERO",
        Some((0x00002320, 11, 0)),
        Some((0x00002320, 11, 0)),
    ),
    (
        "NXBAC_BAD_CONJUNCTION",
        Some((0x00002320, 15, 0)),
        Some((0x00002320, 15, 0)),
    ),
    (
        "NXBAC_BAD_HEADER_TYPE",
        Some((0x00002320, 39, 0)),
        Some((0x00002320, 39, 0)),
    ),
    (
        "NXBAC_UNKNOWN_ED_PROP",
        Some((0x00002320, 40, 0)),
        Some((0x00002320, 40, 0)),
    ),
    (
        "NXBAC_BAD_ED_PROP",
        Some((0x00002320, 41, 0)),
        Some((0x00002320, 41, 0)),
    ),
    (
        "NXBAC_CT_DATAPATH_SUPPORT",
        Some((0x00002320, 42, 0)),
        Some((0x00002320, 42, 0)),
    ),
    (
        "OFPBIC_UNKNOWN_INST",
        Some((0x00000000, 3, 0)),
        Some((0x00000000, 3, 0)),
    ),
    (
        "OFPBIC_UNSUP_INST",
        Some((0x00000000, 3, 1)),
        Some((0x00000000, 3, 1)),
    ),
    (
        "OFPBIC_BAD_TABLE_ID",
        Some((0x00000000, 3, 2)),
        Some((0x00000000, 3, 2)),
    ),
    (
        "OFPBIC_UNSUP_METADATA",
        Some((0x00000000, 3, 3)),
        Some((0x00000000, 3, 3)),
    ),
    (
        "OFPBIC_UNSUP_METADATA_MASK",
        Some((0x00000000, 3, 4)),
        Some((0x00000000, 3, 4)),
    ),
    (
        "OFPBIC_BAD_EXPERIMENTER",
        Some((0x00000000, 3, 5)),
        Some((0x00000000, 3, 5)),
    ),
    (
        "OFPBIC_BAD_EXP_TYPE",
        Some((0x00000000, 3, 6)),
        Some((0x00000000, 3, 6)),
    ),
    (
        "OFPBIC_BAD_LEN",
        Some((0x00000000, 3, 7)),
        Some((0x00000000, 3, 7)),
    ),
    (
        "OFPBIC_EPERM",
        Some((0x00000000, 3, 8)),
        Some((0x00000000, 3, 8)),
    ),
    (
        "OFPBIC_DUP_INST",
        Some((0x4f4e4600, 2600, 0)),
        Some((0x00000000, 3, 9)),
    ),
    (
        "OFPBMC_BAD_TYPE",
        Some((0x00000000, 4, 0)),
        Some((0x00000000, 4, 0)),
    ),
    (
        "OFPBMC_BAD_LEN",
        Some((0x00000000, 4, 1)),
        Some((0x00000000, 4, 1)),
    ),
    (
        "OFPBMC_BAD_TAG",
        Some((0x00000000, 4, 2)),
        Some((0x00000000, 4, 2)),
    ),
    (
        "OFPBMC_BAD_DL_ADDR_MASK",
        Some((0x00000000, 4, 3)),
        Some((0x00000000, 4, 3)),
    ),
    (
        "OFPBMC_BAD_NW_ADDR_MASK",
        Some((0x00000000, 4, 4)),
        Some((0x00000000, 4, 4)),
    ),
    (
        "OFPBMC_BAD_WILDCARDS",
        Some((0x00000000, 4, 5)),
        Some((0x00000000, 4, 5)),
    ),
    (
        "OFPBMC_BAD_FIELD",
        Some((0x00000000, 4, 6)),
        Some((0x00000000, 4, 6)),
    ),
    (
        "OFPBMC_BAD_VALUE",
        Some((0x00000000, 4, 7)),
        Some((0x00000000, 4, 7)),
    ),
    (
        "OFPBMC_BAD_MASK",
        Some((0x00000000, 4, 8)),
        Some((0x00000000, 4, 8)),
    ),
    (
        "OFPBMC_BAD_PREREQ",
        Some((0x00000000, 4, 9)),
        Some((0x00000000, 4, 9)),
    ),
    (
        "OFPBMC_DUP_FIELD",
        Some((0x00000000, 4, 10)),
        Some((0x00000000, 4, 10)),
    ),
    (
        "OFPBMC_EPERM",
        Some((0x00000000, 4, 11)),
        Some((0x00000000, 4, 11)),
    ),
    (
        "NXBMC_CT_DATAPATH_SUPPORT",
        Some((0x00002320, 43, 0)),
        Some((0x00002320, 43, 0)),
    ),
    (
        "OFPFMFC_UNKNOWN",
        Some((0x00000000, 5, 0)),
        Some((0x00000000, 5, 0)),
    ),
    (
        "OFPFMFC_TABLE_FULL",
        Some((0x00000000, 5, 1)),
        Some((0x00000000, 5, 1)),
    ),
    (
        "OFPFMFC_BAD_TABLE_ID",
        Some((0x00000000, 5, 2)),
        Some((0x00000000, 5, 2)),
    ),
    (
        "OFPFMFC_OVERLAP",
        Some((0x00000000, 5, 3)),
        Some((0x00000000, 5, 3)),
    ),
    (
        "OFPFMFC_EPERM",
        Some((0x00000000, 5, 4)),
        Some((0x00000000, 5, 4)),
    ),
    (
        "OFPFMFC_BAD_TIMEOUT",
        Some((0x00000000, 5, 5)),
        Some((0x00000000, 5, 5)),
    ),
    ("OFPFMFC_BAD_EMERG_TIMEOUT", None, None),
    (
        "OFPFMFC_BAD_COMMAND",
        Some((0x00000000, 5, 6)),
        Some((0x00000000, 5, 6)),
    ),
    (
        "OFPFMFC_BAD_FLAGS",
        Some((0x00000000, 5, 7)),
        Some((0x00000000, 5, 7)),
    ),
    ("OFPFMFC_CANT_SYNC", None, Some((0x00000000, 5, 8))),
    (
        "OFPFMFC_BAD_PRIORITY",
        Some((0x4f4e4600, 2360, 0)),
        Some((0x00000000, 5, 9)),
    ),
    ("OFPFMFC_IS_SYNC", None, Some((0x00000000, 5, 10))),
    ("OFPFMFC_UNSUPPORTED", None, None),
    (
        "NXFMFC_HARDWARE",
        Some((0x00002320, 12, 0)),
        Some((0x00002320, 12, 0)),
    ),
    (
        "NXFMFC_BAD_TABLE_ID",
        Some((0x00002320, 13, 0)),
        Some((0x00002320, 13, 0)),
    ),
    (
        "NXFMFC_INVALID_TLV_FIELD",
        Some((0x00002320, 37, 0)),
        Some((0x00002320, 37, 0)),
    ),
    (
        "OFPGMFC_GROUP_EXISTS",
        Some((0x00000000, 6, 0)),
        Some((0x00000000, 6, 0)),
    ),
    (
        "OFPGMFC_INVALID_GROUP",
        Some((0x00000000, 6, 1)),
        Some((0x00000000, 6, 1)),
    ),
    (
        "OFPGMFC_WEIGHT_UNSUPPORTED",
        Some((0x00000000, 6, 2)),
        Some((0x00000000, 6, 2)),
    ),
    (
        "OFPGMFC_OUT_OF_GROUPS",
        Some((0x00000000, 6, 3)),
        Some((0x00000000, 6, 3)),
    ),
    (
        "OFPGMFC_OUT_OF_BUCKETS",
        Some((0x00000000, 6, 4)),
        Some((0x00000000, 6, 4)),
    ),
    (
        "OFPGMFC_CHAINING_UNSUPPORTED",
        Some((0x00000000, 6, 5)),
        Some((0x00000000, 6, 5)),
    ),
    (
        "OFPGMFC_WATCH_UNSUPPORTED",
        Some((0x00000000, 6, 6)),
        Some((0x00000000, 6, 6)),
    ),
    (
        "OFPGMFC_LOOP",
        Some((0x00000000, 6, 7)),
        Some((0x00000000, 6, 7)),
    ),
    (
        "OFPGMFC_UNKNOWN_GROUP",
        Some((0x00000000, 6, 8)),
        Some((0x00000000, 6, 8)),
    ),
    (
        "OFPGMFC_CHAINED_GROUP",
        Some((0x00000000, 6, 9)),
        Some((0x00000000, 6, 9)),
    ),
    (
        "OFPGMFC_BAD_TYPE",
        Some((0x00000000, 6, 10)),
        Some((0x00000000, 6, 10)),
    ),
    (
        "OFPGMFC_BAD_COMMAND",
        Some((0x00000000, 6, 11)),
        Some((0x00000000, 6, 11)),
    ),
    (
        "OFPGMFC_BAD_BUCKET",
        Some((0x00000000, 6, 12)),
        Some((0x00000000, 6, 12)),
    ),
    (
        "OFPGMFC_BAD_WATCH",
        Some((0x00000000, 6, 13)),
        Some((0x00000000, 6, 13)),
    ),
    (
        "OFPGMFC_EPERM",
        Some((0x00000000, 6, 14)),
        Some((0x00000000, 6, 14)),
    ),
    ("OFPGMFC_UNKNOWN_BUCKET", None, Some((0x00000000, 6, 15))),
    ("OFPGMFC_BUCKET_EXISTS", None, Some((0x00000000, 6, 16))),
    (
        "OFPPMFC_BAD_PORT",
        Some((0x00000000, 7, 0)),
        Some((0x00000000, 7, 0)),
    ),
    (
        "OFPPMFC_BAD_HW_ADDR",
        Some((0x00000000, 7, 1)),
        Some((0x00000000, 7, 1)),
    ),
    (
        "OFPPMFC_BAD_CONFIG",
        Some((0x00000000, 7, 2)),
        Some((0x00000000, 7, 2)),
    ),
    (
        "OFPPMFC_BAD_ADVERTISE",
        Some((0x00000000, 7, 3)),
        Some((0x00000000, 7, 3)),
    ),
    (
        "OFPPMFC_EPERM",
        Some((0x00000000, 7, 4)),
        Some((0x00000000, 7, 4)),
    ),
    (
        "OFPTMFC_BAD_TABLE",
        Some((0x00000000, 8, 0)),
        Some((0x00000000, 8, 0)),
    ),
    (
        "OFPTMFC_BAD_CONFIG",
        Some((0x00000000, 8, 1)),
        Some((0x00000000, 8, 1)),
    ),
    (
        "OFPTMFC_EPERM",
        Some((0x00000000, 8, 2)),
        Some((0x00000000, 8, 2)),
    ),
    (
        "OFPQOFC_BAD_PORT",
        Some((0x00000000, 9, 0)),
        Some((0x00000000, 9, 0)),
    ),
    (
        "OFPQOFC_BAD_QUEUE",
        Some((0x00000000, 9, 1)),
        Some((0x00000000, 9, 1)),
    ),
    (
        "OFPQOFC_EPERM",
        Some((0x00000000, 9, 2)),
        Some((0x00000000, 9, 2)),
    ),
    ("NXQOFC_QUEUE_ERROR", None, Some((0x00002320, 23, 0))),
    (
        "OFPSCFC_BAD_FLAGS",
        Some((0x00000000, 10, 0)),
        Some((0x00000000, 10, 0)),
    ),
    (
        "OFPSCFC_BAD_LEN",
        Some((0x00000000, 10, 1)),
        Some((0x00000000, 10, 1)),
    ),
    (
        "OFPSCFC_EPERM",
        Some((0x00000000, 10, 2)),
        Some((0x00000000, 10, 2)),
    ),
    (
        "OFPRRFC_STALE",
        Some((0x00000000, 11, 0)),
        Some((0x00000000, 11, 0)),
    ),
    (
        "OFPRRFC_UNSUP",
        Some((0x00000000, 11, 1)),
        Some((0x00000000, 11, 1)),
    ),
    (
        "OFPRRFC_BAD_ROLE",
        Some((0x00000000, 11, 2)),
        Some((0x00000000, 11, 2)),
    ),
    ("OFPRRFC_ID_UNSUP", None, Some((0x00000000, 11, 3))),
    ("OFPRRFC_ID_IN_USE", None, Some((0x00000000, 11, 4))),
    (
        "OFPMMFC_UNKNOWN",
        Some((0x00000000, 12, 0)),
        Some((0x00000000, 12, 0)),
    ),
    (
        "OFPMMFC_METER_EXISTS",
        Some((0x00000000, 12, 1)),
        Some((0x00000000, 12, 1)),
    ),
    (
        "OFPMMFC_INVALID_METER",
        Some((0x00000000, 12, 2)),
        Some((0x00000000, 12, 2)),
    ),
    (
        "OFPMMFC_UNKNOWN_METER",
        Some((0x00000000, 12, 3)),
        Some((0x00000000, 12, 3)),
    ),
    (
        "OFPMMFC_BAD_COMMAND",
        Some((0x00000000, 12, 4)),
        Some((0x00000000, 12, 4)),
    ),
    (
        "OFPMMFC_BAD_FLAGS",
        Some((0x00000000, 12, 5)),
        Some((0x00000000, 12, 5)),
    ),
    (
        "OFPMMFC_BAD_RATE",
        Some((0x00000000, 12, 6)),
        Some((0x00000000, 12, 6)),
    ),
    (
        "OFPMMFC_BAD_BURST",
        Some((0x00000000, 12, 7)),
        Some((0x00000000, 12, 7)),
    ),
    (
        "OFPMMFC_BAD_BAND",
        Some((0x00000000, 12, 8)),
        Some((0x00000000, 12, 8)),
    ),
    (
        "OFPMMFC_BAD_BAND_VALUE",
        Some((0x00000000, 12, 9)),
        Some((0x00000000, 12, 9)),
    ),
    (
        "OFPMMFC_OUT_OF_METERS",
        Some((0x00000000, 12, 10)),
        Some((0x00000000, 12, 10)),
    ),
    (
        "OFPMMFC_OUT_OF_BANDS",
        Some((0x00000000, 12, 11)),
        Some((0x00000000, 12, 11)),
    ),
    (
        "OFPTFFC_BAD_TABLE",
        Some((0x00000000, 13, 0)),
        Some((0x00000000, 13, 0)),
    ),
    (
        "OFPTFFC_BAD_METADATA",
        Some((0x00000000, 13, 1)),
        Some((0x00000000, 13, 1)),
    ),
    (
        "OFPTFFC_EPERM",
        Some((0x00000000, 13, 5)),
        Some((0x00000000, 13, 5)),
    ),
    ("OFPTFFC_BAD_CAPA", None, Some((0x00000000, 13, 6))),
    ("OFPTFFC_BAD_MAX_ENT", None, Some((0x00000000, 13, 7))),
    ("OFPTFFC_BAD_FEATURES", None, Some((0x00000000, 13, 8))),
    ("OFPTFFC_BAD_COMMAND", None, Some((0x00000000, 13, 9))),
    ("OFPTFFC_TOO_MANY", None, Some((0x00000000, 13, 10))),
    (
        "NXTFFC_DUP_TABLE",
        Some((0x00002320, 44, 0)),
        Some((0x00002320, 44, 0)),
    ),
    (
        "OFPBPC_BAD_TYPE",
        Some((0x00000000, 13, 2)),
        Some((0x00000000, 14, 0)),
    ),
    (
        "OFPBPC_BAD_LEN",
        Some((0x00000000, 13, 3)),
        Some((0x00000000, 14, 1)),
    ),
    (
        "OFPBPC_BAD_VALUE",
        Some((0x00000000, 13, 4)),
        Some((0x00000000, 14, 2)),
    ),
    (
        "OFPBPC_TOO_MANY",
        Some((0x4f4e4600, 4443, 0)),
        Some((0x00000000, 14, 3)),
    ),
    (
        "OFPBPC_DUP_TYPE",
        Some((0x4f4e4600, 4444, 0)),
        Some((0x00000000, 14, 4)),
    ),
    (
        "OFPBPC_BAD_EXPERIMENTER",
        Some((0x4f4e4600, 4445, 0)),
        Some((0x00000000, 14, 5)),
    ),
    (
        "OFPBPC_BAD_EXP_TYPE",
        Some((0x4f4e4600, 4446, 0)),
        Some((0x00000000, 14, 6)),
    ),
    (
        "OFPBPC_BAD_EXP_VALUE",
        Some((0x4f4e4600, 4447, 0)),
        Some((0x00000000, 14, 7)),
    ),
    (
        "OFPBPC_EPERM",
        Some((0x4f4e4600, 4448, 0)),
        Some((0x00000000, 14, 8)),
    ),
    (
        "OFPACFC_INVALID",
        Some((0x4f4e4600, 2370, 0)),
        Some((0x00000000, 15, 0)),
    ),
    (
        "OFPACFC_UNSUPPORTED",
        Some((0x4f4e4600, 2371, 0)),
        Some((0x00000000, 15, 1)),
    ),
    (
        "OFPACFC_EPERM",
        Some((0x4f4e4600, 2372, 0)),
        Some((0x00000000, 15, 2)),
    ),
    (
        "OFPBFC_UNKNOWN",
        Some((0x4f4e4600, 2300, 0)),
        Some((0x00000000, 17, 0)),
    ),
    (
        "OFPBFC_EPERM",
        Some((0x4f4e4600, 2301, 0)),
        Some((0x00000000, 17, 1)),
    ),
    (
        "OFPBFC_BAD_ID",
        Some((0x4f4e4600, 2302, 0)),
        Some((0x00000000, 17, 2)),
    ),
    (
        "OFPBFC_BUNDLE_EXIST",
        Some((0x4f4e4600, 2303, 0)),
        Some((0x00000000, 17, 3)),
    ),
    (
        "OFPBFC_BUNDLE_CLOSED",
        Some((0x4f4e4600, 2304, 0)),
        Some((0x00000000, 17, 4)),
    ),
    (
        "OFPBFC_OUT_OF_BUNDLES",
        Some((0x4f4e4600, 2305, 0)),
        Some((0x00000000, 17, 5)),
    ),
    (
        "OFPBFC_BAD_TYPE",
        Some((0x4f4e4600, 2306, 0)),
        Some((0x00000000, 17, 6)),
    ),
    (
        "OFPBFC_BAD_FLAGS",
        Some((0x4f4e4600, 2307, 0)),
        Some((0x00000000, 17, 7)),
    ),
    (
        "OFPBFC_MSG_BAD_LEN",
        Some((0x4f4e4600, 2308, 0)),
        Some((0x00000000, 17, 8)),
    ),
    (
        "OFPBFC_MSG_BAD_XID",
        Some((0x4f4e4600, 2309, 0)),
        Some((0x00000000, 17, 9)),
    ),
    (
        "OFPBFC_MSG_UNSUP",
        Some((0x4f4e4600, 2310, 0)),
        Some((0x00000000, 17, 10)),
    ),
    (
        "OFPBFC_MSG_CONFLICT",
        Some((0x4f4e4600, 2311, 0)),
        Some((0x00000000, 17, 11)),
    ),
    (
        "OFPBFC_MSG_TOO_MANY",
        Some((0x4f4e4600, 2312, 0)),
        Some((0x00000000, 17, 12)),
    ),
    (
        "OFPBFC_MSG_FAILED",
        Some((0x4f4e4600, 2313, 0)),
        Some((0x00000000, 17, 13)),
    ),
    (
        "OFPBFC_TIMEOUT",
        Some((0x4f4e4600, 2314, 0)),
        Some((0x00000000, 17, 14)),
    ),
    (
        "OFPBFC_BUNDLE_IN_PROGRESS",
        Some((0x4f4e4600, 2315, 0)),
        Some((0x00000000, 17, 15)),
    ),
    (
        "OFPBFC_SCHED_NOT_SUPPORTED",
        None,
        Some((0x00000000, 17, 16)),
    ),
    ("OFPBFC_SCHED_FUTURE", None, Some((0x00000000, 17, 17))),
    ("OFPBFC_SCHED_PAST", None, Some((0x00000000, 17, 18))),
    ("OFPBFC_BAD_VERSION", None, Some((0x00002320, 22, 0))),
    ("OFPMOFC_UNKNOWN", None, Some((0x00000000, 16, 0))),
    (
        "OFPMOFC_MONITOR_EXISTS",
        Some((0x00002320, 6, 0)),
        Some((0x00000000, 16, 1)),
    ),
    ("OFPMOFC_INVALID_MONITOR", None, Some((0x00000000, 16, 2))),
    (
        "OFPMOFC_UNKNOWN_MONITOR",
        Some((0x00002320, 8, 0)),
        Some((0x00000000, 16, 3)),
    ),
    ("OFPMOFC_BAD_COMMAND", None, Some((0x00000000, 16, 4))),
    (
        "OFPMOFC_BAD_FLAGS",
        Some((0x00002320, 7, 0)),
        Some((0x00000000, 16, 5)),
    ),
    ("OFPMOFC_BAD_TABLE_ID", None, Some((0x00000000, 16, 6))),
    ("OFPMOFC_BAD_OUT", None, Some((0x00000000, 16, 7))),
    (
        "NXTTMFC_BAD_COMMAND",
        Some((0x00002320, 16, 0)),
        Some((0x00002320, 16, 0)),
    ),
    (
        "NXTTMFC_BAD_OPT_LEN",
        Some((0x00002320, 17, 0)),
        Some((0x00002320, 17, 0)),
    ),
    (
        "NXTTMFC_BAD_FIELD_IDX",
        Some((0x00002320, 18, 0)),
        Some((0x00002320, 18, 0)),
    ),
    (
        "NXTTMFC_TABLE_FULL",
        Some((0x00002320, 19, 0)),
        Some((0x00002320, 19, 0)),
    ),
    (
        "NXTTMFC_ALREADY_MAPPED",
        Some((0x00002320, 20, 0)),
        Some((0x00002320, 20, 0)),
    ),
    (
        "NXTTMFC_DUP_ENTRY",
        Some((0x00002320, 21, 0)),
        Some((0x00002320, 21, 0)),
    ),
    (
        "NXTTMFC_INVALID_TLV_DEL",
        Some((0x00002320, 38, 0)),
        Some((0x00002320, 38, 0)),
    ),
    (
        "NXR_NOT_SUPPORTED",
        Some((0x00002320, 34, 0)),
        Some((0x00002320, 34, 0)),
    ),
    (
        "NXR_STALE",
        Some((0x00002320, 35, 0)),
        Some((0x00002320, 35, 0)),
    ),
    (
        "NXST_NOT_CONFIGURED",
        Some((0x00002320, 36, 0)),
        Some((0x00002320, 36, 0)),
    ),
];

//! `ofp_table_features` and its properties.

use crate::error::Reason;
use crate::wire::{len_placeholder, pad_to, patch_len, put_fixed_str, DResult, Reader};
use crate::{DecodeError, EncodeError};
use bytes::{BufMut, BytesMut};

const OFP_MAX_TABLE_NAME_LEN: usize = 32;
const TABLE_FEATURES_FIXED_LEN: usize = 64;

/// An instruction or action id in a table-features property: its type and any bytes after the
/// 4-byte header (the experimenter id for experimenter ids).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FeatureId {
    /// Instruction or action type.
    pub typ: u16,
    /// Bytes after the header.
    pub data: Vec<u8>,
}

/// An OXM id: the 32-bit header, plus the experimenter id for the experimenter class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OxmId {
    /// OXM header.
    pub header: u32,
    /// Experimenter id when the class is `0xffff`.
    pub experimenter: Option<u32>,
}

/// The value of a table-features property, by the kind its type implies.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PropValue {
    /// `INSTRUCTIONS` / `INSTRUCTIONS_MISS`.
    Instructions(Vec<FeatureId>),
    /// `NEXT_TABLES` / `NEXT_TABLES_MISS`.
    NextTables(Vec<u8>),
    /// `WRITE_ACTIONS(_MISS)` / `APPLY_ACTIONS(_MISS)`.
    Actions(Vec<FeatureId>),
    /// `MATCH`, `WILDCARDS`, `WRITE_SETFIELD(_MISS)`, `APPLY_SETFIELD(_MISS)`.
    Oxms(Vec<OxmId>),
    /// Experimenter or unknown properties: the body after the 4-byte header.
    Raw(Vec<u8>),
}

/// One table-features property.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableFeatureProp {
    /// Property type (`OFPTFPT_*`).
    pub typ: u16,
    /// Value.
    pub value: PropValue,
}

/// `ofp_table_features`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableFeatures {
    /// Table.
    pub table_id: u8,
    /// Name.
    pub name: String,
    /// Metadata bits the table can match.
    pub metadata_match: u64,
    /// Metadata bits the table can write.
    pub metadata_write: u64,
    /// `OFPTC_*` bits.
    pub config: u32,
    /// Maximum entries.
    pub max_entries: u32,
    /// Properties.
    pub properties: Vec<TableFeatureProp>,
}

/// The property type's name as in the specification (`OFPTFPT_` omitted).
pub fn prop_name(typ: u16) -> &'static str {
    match typ {
        0 => "INSTRUCTIONS",
        1 => "INSTRUCTIONS_MISS",
        2 => "NEXT_TABLES",
        3 => "NEXT_TABLES_MISS",
        4 => "WRITE_ACTIONS",
        5 => "WRITE_ACTIONS_MISS",
        6 => "APPLY_ACTIONS",
        7 => "APPLY_ACTIONS_MISS",
        8 => "MATCH",
        10 => "WILDCARDS",
        12 => "WRITE_SETFIELD",
        13 => "WRITE_SETFIELD_MISS",
        14 => "APPLY_SETFIELD",
        15 => "APPLY_SETFIELD_MISS",
        0xfffe => "EXPERIMENTER",
        0xffff => "EXPERIMENTER_MISS",
        _ => "UNKNOWN",
    }
}

fn decode_ids(r: &mut Reader<'_>) -> DResult<Vec<FeatureId>> {
    let mut v = Vec::new();
    while !r.is_empty() {
        let at = r.offset();
        let typ = r.u16("id type")?;
        let len = r.u16("id length")? as usize;
        if len < 4 {
            return Err(DecodeError::new(
                at + 2,
                Reason::BadLength {
                    what: "feature id",
                    len,
                },
            ));
        }
        v.push(FeatureId {
            typ,
            data: r.take(len - 4, "feature id")?.to_vec(),
        });
    }
    Ok(v)
}

fn decode_oxm_ids(r: &mut Reader<'_>) -> DResult<Vec<OxmId>> {
    let mut v = Vec::new();
    while !r.is_empty() {
        let header = r.u32("oxm id")?;
        let experimenter = if header >> 16 == 0xffff {
            Some(r.u32("oxm id experimenter")?)
        } else {
            None
        };
        v.push(OxmId {
            header,
            experimenter,
        });
    }
    Ok(v)
}

impl TableFeatureProp {
    fn decode(r: &mut Reader<'_>) -> DResult<TableFeatureProp> {
        let mut p = r.tlv("table feature property", 4, 8)?;
        let typ = p.u16("property type")?;
        p.skip(2, "property length")?;
        let value = match typ {
            0 | 1 => PropValue::Instructions(decode_ids(&mut p)?),
            2 | 3 => PropValue::NextTables(p.rest().to_vec()),
            4..=7 => PropValue::Actions(decode_ids(&mut p)?),
            8 | 10 | 12..=15 => PropValue::Oxms(decode_oxm_ids(&mut p)?),
            _ => PropValue::Raw(p.rest().to_vec()),
        };
        Ok(TableFeatureProp { typ, value })
    }

    fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        buf.put_u16(self.typ);
        let at = len_placeholder(buf);
        match &self.value {
            PropValue::Instructions(ids) | PropValue::Actions(ids) => {
                for id in ids {
                    buf.put_u16(id.typ);
                    buf.put_u16((4 + id.data.len()) as u16);
                    buf.put_slice(&id.data);
                }
            }
            PropValue::NextTables(t) => buf.put_slice(t),
            PropValue::Oxms(ids) => {
                for id in ids {
                    buf.put_u32(id.header);
                    if let Some(e) = id.experimenter {
                        buf.put_u32(e);
                    }
                }
            }
            PropValue::Raw(b) => buf.put_slice(b),
        }
        patch_len(buf, at, start, "table feature property")?;
        pad_to(buf, start, 8);
        Ok(())
    }
}

impl TableFeatures {
    fn decode(r: &mut Reader<'_>) -> DResult<TableFeatures> {
        let at = r.offset();
        let len = r.peek_u16(0).ok_or_else(|| {
            r.err(Reason::Truncated {
                what: "table features",
                need: 2,
                have: r.remaining(),
            })
        })? as usize;
        if len < TABLE_FEATURES_FIXED_LEN || len > r.remaining() {
            return Err(DecodeError::new(
                at,
                Reason::BadLength {
                    what: "table features",
                    len,
                },
            ));
        }
        let mut s = r.sub(len, "table features")?;
        s.skip(2, "length")?;
        let table_id = s.u8("table_id")?;
        s.skip(5, "pad")?;
        let name = s.fixed_str(OFP_MAX_TABLE_NAME_LEN, "table name")?;
        let metadata_match = s.u64("metadata_match")?;
        let metadata_write = s.u64("metadata_write")?;
        let config = s.u32("config")?;
        let max_entries = s.u32("max_entries")?;
        let properties = s.many(TableFeatureProp::decode)?;
        Ok(TableFeatures {
            table_id,
            name,
            metadata_match,
            metadata_write,
            config,
            max_entries,
            properties,
        })
    }

    fn encode(&self, buf: &mut BytesMut) -> Result<(), EncodeError> {
        let start = buf.len();
        let at = len_placeholder(buf);
        buf.put_u8(self.table_id);
        buf.put_bytes(0, 5);
        put_fixed_str(buf, &self.name, OFP_MAX_TABLE_NAME_LEN);
        buf.put_u64(self.metadata_match);
        buf.put_u64(self.metadata_write);
        buf.put_u32(self.config);
        buf.put_u32(self.max_entries);
        for p in &self.properties {
            p.encode(buf)?;
        }
        patch_len(buf, at, start, "table features")
    }
}

/// Reads table-features records until the reader is exhausted.
pub(crate) fn decode_list(r: &mut Reader<'_>) -> DResult<Vec<TableFeatures>> {
    let v = r.many(TableFeatures::decode)?;
    Ok(v)
}

/// Writes table-features records.
pub(crate) fn encode_list(list: &[TableFeatures], buf: &mut BytesMut) -> Result<(), EncodeError> {
    list.iter().try_for_each(|t| t.encode(buf))
}

//! Meters in `ovs-ofctl add-meter` syntax: [`parse_meter_mod`] and [`format_meter_mod`].

use super::lex::{blob, hex, key_value, num_u16, num_u32, num_u8, parse_blob, spans};
use super::TextError;
use crate::msg::{meter_flags, meter_id, MeterBand, MeterMod, MeterModCommand};

/// Meter flags and their keywords.
const FLAGS: [(u16, &str); 4] = [
    (meter_flags::KBPS, "kbps"),
    (meter_flags::PKTPS, "pktps"),
    (meter_flags::BURST, "burst"),
    (meter_flags::STATS, "stats"),
];

/// Reserved meter ids and their names.
const IDS: [(u32, &str); 3] = [
    (meter_id::ALL, "all"),
    (meter_id::CONTROLLER, "controller"),
    (meter_id::SLOWPATH, "slowpath"),
];

/// A meter id as text: a reserved name or the number.
pub(crate) fn format_meter_id(id: u32) -> String {
    IDS.iter()
        .find(|(i, _)| *i == id)
        .map_or_else(|| id.to_string(), |(_, n)| n.to_string())
}

/// Writes a meter mod (everything but the command) in `ovs-ofctl add-meter` syntax:
/// `meter=1,kbps,burst,stats,bands=type=drop,rate=10000,burst_size=1000`.
///
/// `burst_size=` is written when the `burst` flag is set or the size is not zero; flag bits
/// without a keyword as `flags=0xN`. Band types Open vSwitch has no syntax for:
/// `type=experimenter,rate=R,experimenter=0xID[,data=0xDATA]`, and for unknown types
/// `type=N,rate=R[,data=0xBODY]` (the bytes after the 12-byte band header).
pub fn format_meter_mod(mm: &MeterMod) -> String {
    let mut items = vec![format!("meter={}", format_meter_id(mm.meter_id))];
    items.extend(
        FLAGS
            .iter()
            .filter(|(b, _)| mm.flags & b != 0)
            .map(|(_, n)| n.to_string()),
    );
    let other = mm.flags & !FLAGS.iter().fold(0, |a, (b, _)| a | b);
    if other != 0 {
        items.push(format!("flags={other:#x}"));
    }
    let burst = mm.flags & meter_flags::BURST != 0;
    for (i, band) in mm.bands.iter().enumerate() {
        let (typ, burst_size) = match band {
            MeterBand::Drop { burst_size, .. } => ("drop".to_string(), burst_size),
            MeterBand::DscpRemark { burst_size, .. } => ("dscp_remark".to_string(), burst_size),
            MeterBand::Experimenter { burst_size, .. } => ("experimenter".to_string(), burst_size),
            MeterBand::Unknown {
                typ, burst_size, ..
            } => (typ.to_string(), burst_size),
        };
        let prefix = if i == 0 { "bands=" } else { "" };
        items.push(format!("{prefix}type={typ}"));
        items.push(format!("rate={}", band.rate()));
        if burst || *burst_size != 0 {
            items.push(format!("burst_size={burst_size}"));
        }
        match band {
            MeterBand::Drop { .. } => {}
            MeterBand::DscpRemark { prec_level, .. } => {
                items.push(format!("prec_level={prec_level}"))
            }
            MeterBand::Experimenter {
                experimenter, data, ..
            } => {
                items.push(format!("experimenter={}", hex(*experimenter as u64)));
                if !data.is_empty() {
                    items.push(format!("data={}", blob(data)));
                }
            }
            MeterBand::Unknown { body, .. } => {
                if !body.is_empty() {
                    items.push(format!("data={}", blob(body)));
                }
            }
        }
    }
    items.join(",")
}

/// Parses a meter in `ovs-ofctl add-meter` syntax into a meter mod with the given command:
/// `meter=ID` (a number, `all`, `controller` or `slowpath`; required except for deletes, which
/// default to `all`), the flags `kbps`, `pktps`, `burst`, `stats` (and `flags=N`), then
/// `bands=` (or `band=`) followed by bands, each starting with `type=drop|dscp_remark|
/// experimenter|N` and taking `rate=`, `burst_size=`, `prec_level=`, `experimenter=` and
/// `data=` as in [`format_meter_mod`].
pub fn parse_meter_mod(text: &str, command: MeterModCommand) -> Result<MeterMod, TextError> {
    let mut id = None;
    let mut flags = 0;
    let mut bands: Vec<BandText> = Vec::new();
    let mut in_bands = false;
    for (_, tok) in spans(text)? {
        let tok = match tok
            .strip_prefix("bands=")
            .or_else(|| tok.strip_prefix("band="))
        {
            Some(rest) => {
                in_bands = true;
                if rest.is_empty() {
                    continue;
                }
                rest
            }
            None => tok,
        };
        let (k, v) = key_value(tok);
        if in_bands {
            if k == "type" {
                bands.push(BandText::new(v.unwrap_or_default())?);
            }
            let band = bands
                .last_mut()
                .ok_or_else(|| TextError::syntax(tok, "a band must start with type="))?;
            band.set(k, v.unwrap_or_default())?;
            continue;
        }
        match (k, v) {
            ("meter", Some(v)) => {
                id = Some(match IDS.iter().find(|(_, n)| n.eq_ignore_ascii_case(v)) {
                    Some((i, _)) => *i,
                    None => num_u32("meter", v)?,
                })
            }
            ("flags", Some(v)) => flags |= num_u16("flags", v)?,
            (k, None) if FLAGS.iter().any(|(_, n)| *n == k) => {
                flags |= FLAGS.iter().find(|(_, n)| *n == k).map_or(0, |f| f.0)
            }
            _ => {
                return Err(TextError::Unknown {
                    what: "meter keyword",
                    token: tok.to_string(),
                    expected: "meter=ID, kbps, pktps, burst, stats or bands=",
                })
            }
        }
    }
    let meter_id = match (id, command) {
        (Some(i), _) => i,
        (None, MeterModCommand::Delete) => meter_id::ALL,
        (None, _) => return Err(TextError::Missing { what: "meter=" }),
    };
    Ok(MeterMod {
        command,
        flags,
        meter_id,
        bands: bands
            .into_iter()
            .map(BandText::finish)
            .collect::<Result<_, _>>()?,
    })
}

/// The keys of one band as they are read.
#[derive(Debug)]
struct BandText {
    /// The band type from `type=`.
    typ: BandType,
    rate: Option<u32>,
    burst_size: u32,
    prec_level: Option<u8>,
    experimenter: Option<u32>,
    data: Vec<u8>,
}

/// A band type as written: a name, or a number (kept as an unknown band).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BandType {
    Drop,
    DscpRemark,
    Experimenter,
    Other(u16),
}

impl BandText {
    fn new(t: &str) -> Result<BandText, TextError> {
        let typ = match t {
            "drop" => BandType::Drop,
            "dscp_remark" => BandType::DscpRemark,
            "experimenter" => BandType::Experimenter,
            n => BandType::Other(num_u16("type", n).map_err(|_| {
                TextError::bad(
                    "type",
                    n,
                    "drop, dscp_remark, experimenter or a band type number",
                )
            })?),
        };
        Ok(BandText {
            typ,
            rate: None,
            burst_size: 0,
            prec_level: None,
            experimenter: None,
            data: Vec::new(),
        })
    }

    fn set(&mut self, k: &str, v: &str) -> Result<(), TextError> {
        match (k, self.typ) {
            ("type", _) => {}
            ("rate", _) => self.rate = Some(num_u32(k, v)?),
            ("burst_size", _) => self.burst_size = num_u32(k, v)?,
            ("prec_level", BandType::DscpRemark) => self.prec_level = Some(num_u8(k, v)?),
            ("experimenter", BandType::Experimenter) => self.experimenter = Some(num_u32(k, v)?),
            ("data", BandType::Experimenter | BandType::Other(_)) => self.data = parse_blob(k, v)?,
            _ => {
                return Err(TextError::Unknown {
                    what: "band keyword",
                    token: format!("{k}={v}"),
                    expected: "rate=, burst_size=, prec_level= (dscp_remark), experimenter= and \
                               data= (experimenter), data= (numbered types)",
                })
            }
        }
        Ok(())
    }

    fn finish(self) -> Result<MeterBand, TextError> {
        let rate = self.rate.ok_or(TextError::Missing {
            what: "rate= in a band",
        })?;
        let burst_size = self.burst_size;
        Ok(match self.typ {
            BandType::Drop => MeterBand::Drop { rate, burst_size },
            BandType::DscpRemark => MeterBand::DscpRemark {
                rate,
                burst_size,
                prec_level: self.prec_level.unwrap_or(0),
            },
            BandType::Experimenter => MeterBand::Experimenter {
                rate,
                burst_size,
                experimenter: self.experimenter.ok_or(TextError::Missing {
                    what: "experimenter= in an experimenter band",
                })?,
                data: self.data,
            },
            BandType::Other(typ) => MeterBand::Unknown {
                typ,
                rate,
                burst_size,
                body: self.data,
            },
        })
    }
}

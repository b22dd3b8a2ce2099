//! The OpenAPI schemas of the address types, which travel as text (feature `openapi`; the
//! other wire types derive theirs).
//!
//! Each pattern accepts every text its type parses, and more: the parser has the last word
//! (a host bit set, a reversed range, a reserved block are refused with a 400 naming the
//! value), but a text the pattern refuses is never accepted.

use crate::addr::{IdRanges, Ipv4Range, Ipv4Selector, Ipv4Subnet, Ipv6Subnet};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;

/// An IPv4 address in the patterns.
const V4: &str = r"[0-9]{1,3}(\.[0-9]{1,3}){3}";
/// An IPv6 address in the patterns (with an IPv4 tail allowed).
const V6: &str = r"[0-9A-Fa-f:.]{2,45}";
/// A prefix length.
const LEN: &str = "/[0-9]{1,3}";

/// A string schema: what it is, its pattern (anchored here) and an example.
fn text(description: &str, pattern: String, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(Some(format!("^{pattern}$")))
        .examples([serde_json::Value::from(example)])
        .into()
}

/// The schema of a name ([`crate::name`]): the `value_type` of every name field of the wire
/// types, which are `String`s.
pub(crate) struct Name;

impl utoipa::PartialSchema for Name {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A name: 1 to 64 characters, none of them white space, a control or bidirectional \
                 formatting character, `:` or `/`.",
            ))
            .pattern(Some(crate::name::PATTERN))
            .examples([serde_json::Value::from("web")])
            .into()
    }
}

impl utoipa::ToSchema for Name {}

/// The schema of an OpenFlow port number of a bridge's port (`1..=OFPP_MAX`): the `value_type`
/// of the port fields of a host report, which are `u32`s.
pub(crate) struct OfPort;

impl utoipa::PartialSchema for OfPort {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .description(Some("An OpenFlow port number, 1..=0xffffff00 (OFPP_MAX)."))
            .minimum(Some(1))
            .maximum(Some(0xffff_ff00u32))
            .into()
    }
}

impl utoipa::ToSchema for OfPort {}

/// Implements `ToSchema` for a text type.
macro_rules! text_schema {
    ($($t:ty => $description:expr, $pattern:expr, $example:expr;)*) => {$(
        impl utoipa::PartialSchema for $t {
            fn schema() -> RefOr<Schema> {
                text($description, $pattern, $example)
            }
        }

        impl utoipa::ToSchema for $t {}
    )*};
}

text_schema! {
    Ipv4Subnet => "An IPv4 subnet `a.b.c.d/len` (host bits zero, at most /30, not multicast, \
        loopback, 0/8 or 240/4), or `a.b.c.d-a.b.c.e/len` to allocate endpoints only from that \
        range of its host addresses.",
        format!("{V4}(-{V4})?{LEN}"), "10.1.1.0/24";
    Ipv6Subnet => "An IPv6 subnet `x::/len` (host bits zero, at most /126, not ::/8 or ff00::/8).",
        format!("{V6}{LEN}"), "fd00:1::/64";
    Ipv4Range => "An inclusive range of IPv4 addresses `a.b.c.d-a.b.c.e` (first <= last).",
        format!("{V4}-{V4}"), "10.1.1.10-10.1.1.20";
    Ipv4Selector => "IPv4 peers: an address `a.b.c.d`, a prefix `a.b.c.d/len` (host bits zero) \
        or a range `a.b.c.d-a.b.c.e`.",
        format!("{V4}({LEN}|-{V4})?"), "10.1.2.0/24";
    IdRanges => "Ordered id intervals from 1, comma-separated, without spaces: `1-4094`, \
        `100-200,300`.",
        "[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*".to_string(), "1-4094";
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::PartialSchema;

    /// The anchored pattern of a text type's schema.
    fn pattern<T: PartialSchema>() -> regex_lite::Regex {
        let RefOr::T(Schema::Object(o)) = T::schema() else {
            panic!("an inline object schema")
        };
        regex_lite::Regex::new(o.pattern.as_deref().expect("a pattern")).expect("a valid regex")
    }

    #[test]
    fn the_name_pattern_is_the_name_rule() {
        let name = pattern::<Name>();
        let chars = (0..=0x3100u32)
            .chain([0xfeff, 0x1f600])
            .filter_map(char::from_u32);
        for c in chars {
            let one = c.to_string();
            assert_eq!(
                name.is_match(&one),
                crate::name::check(&one).is_ok(),
                "{}",
                c.escape_unicode()
            );
        }
        assert!(name.is_match(&"x".repeat(crate::name::MAX_LEN)));
        assert!(!name.is_match(&"x".repeat(crate::name::MAX_LEN + 1)));
        assert!(!name.is_match(""));
    }

    #[test]
    fn every_text_the_parser_takes_matches_its_pattern() {
        let subnet = pattern::<Ipv4Subnet>();
        for ok in ["10.1.1.0/24", "10.1.1.10-10.1.1.20/24", "192.168.0.0/30"] {
            ok.parse::<Ipv4Subnet>().unwrap();
            assert!(subnet.is_match(ok), "{ok}");
        }
        assert!(!subnet.is_match(" 10.1.1.0/24"));
        let v6 = pattern::<Ipv6Subnet>();
        for ok in ["fd00:1::/64", "2001:db8::/126", "fd00::ffff:0:0/96"] {
            ok.parse::<Ipv6Subnet>().unwrap();
            assert!(v6.is_match(ok), "{ok}");
        }
        let range = pattern::<Ipv4Range>();
        "10.1.1.10-10.1.1.20".parse::<Ipv4Range>().unwrap();
        assert!(range.is_match("10.1.1.10-10.1.1.20"));
        let selector = pattern::<Ipv4Selector>();
        for ok in ["10.1.1.1", "10.1.2.0/24", "10.1.1.1-10.1.1.9", "0.0.0.0/0"] {
            ok.parse::<Ipv4Selector>().unwrap();
            assert!(selector.is_match(ok), "{ok}");
        }
        let ids = pattern::<IdRanges>();
        for ok in ["1-4094", "100-200,300", "7"] {
            ok.parse::<IdRanges>().unwrap();
            assert!(ids.is_match(ok), "{ok}");
        }
        assert!(!ids.is_match("100-200, 300"));
    }
}

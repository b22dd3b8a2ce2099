//! The fields of Contiv's objects that netplugin keeps but does not act on, and the Contiv
//! features it does not have: a body that asks for one of those is refused with a message
//! that says so, never accepted and ignored.

use northbound_api::model::{NetworkInfraType, NetworkType, Object};
use northbound_api::service::IntentError;

/// Contiv's private subnet for host access is always a /16.
const PVT_SUBNET_LEN: u8 = 16;

/// Refuses what `object` (named `what` in errors) asks for that netplugin does not support;
/// checks the Contiv fields it only keeps (`cfgdTag`, `defaultNetwork`, `pvtSubnet`).
pub fn check(what: &str, object: &Object) -> Result<(), IntentError> {
    let unsupported = |field: &str, message: &str| {
        Err(IntentError::Invalid(format!(
            "{what}: {field}: {message} (not supported by netplugin)"
        )))
    };
    match object {
        Object::Global(g) => {
            if g.network_infra_type != NetworkInfraType::Default {
                return unsupported(
                    "networkInfraType",
                    "Contiv's ACI fabric modes (aci, aci-opflex) need Cisco ACI",
                );
            }
            if let Some(subnet) = g
                .pvt_subnet
                .filter(|s| s.net().prefix_len() != PVT_SUBNET_LEN)
            {
                return Err(IntentError::Invalid(format!(
                    "{}: pvtSubnet: {subnet} is not a /{PVT_SUBNET_LEN}",
                    what
                )));
            }
        }
        Object::Tenant(t) => {
            if let Some(network) = &t.default_network {
                name(what, "defaultNetwork", network)?;
            }
        }
        Object::Network(n) => {
            if n.nw_type == NetworkType::Infra {
                return unsupported(
                    "nwType",
                    "infra networks (an interface of the host itself on the network)",
                );
            }
            if let Some(tag) = &n.cfgd_tag {
                name(what, "cfgdTag", tag)?;
            }
        }
        Object::EndpointGroup(g) => {
            if !g.ext_contracts_grps.is_empty() {
                return unsupported(
                    "extContractsGrps",
                    "external contracts groups are Cisco ACI contracts",
                );
            }
            if let Some(tag) = &g.cfgd_tag {
                name(what, "cfgdTag", tag)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A name-like field (a tag, a network's name) must be a name.
fn name(what: &str, field: &str, value: &str) -> Result<(), IntentError> {
    northbound_api::name::check(value).map_err(|e| {
        IntentError::Invalid(format!("{what}: {field} '{}' {e}", value.escape_debug()))
    })?;
    Ok(())
}

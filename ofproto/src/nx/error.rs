//! Why Nicira extension bytes do not decode to a typed value.

/// A Nicira experimenter action or NXM field that [`super`] cannot type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NxError {
    /// The action is not an experimenter action with Nicira's vendor id.
    #[error("not a Nicira experimenter action")]
    NotNiciraAction,
    /// The field is not of a Nicira NXM class (`0x0000`, `0x0001`).
    #[error("not a Nicira NXM field")]
    NotNiciraField,
    /// A Nicira action subtype this module does not type.
    #[error("Nicira action subtype {0} is not supported")]
    UnknownSubtype(u16),
    /// A Nicira NXM field this module does not type.
    #[error("NXM field {class:#06x}:{field} is not supported")]
    UnknownField {
        /// NXM class.
        class: u16,
        /// Field number.
        field: u8,
    },
    /// The bytes of an action or field have the wrong length.
    #[error("{what}: {len} bytes, expected {expected}")]
    Length {
        /// The action or field.
        what: &'static str,
        /// Bytes found.
        len: usize,
        /// Bytes the structure has.
        expected: usize,
    },
    /// Bytes that must be zero (padding) are not.
    #[error("{what}: padding is not zero")]
    NonZeroPadding {
        /// The action.
        what: &'static str,
    },
    /// Flag bits this module does not type.
    #[error("{what}: unsupported flags {flags:#06x}")]
    UnsupportedFlags {
        /// The action.
        what: &'static str,
        /// The flags found.
        flags: u16,
    },
    /// A form of the action this module does not type.
    #[error("{what}: {form} is not supported")]
    Unsupported {
        /// The action.
        what: &'static str,
        /// The form found.
        form: &'static str,
    },
    /// `move` between fields of different widths as a whole-field copy.
    #[error("whole-field move between fields of {src_bits} and {dst_bits} bits")]
    WidthMismatch {
        /// Width of the source.
        src_bits: u16,
        /// Width of the destination.
        dst_bits: u16,
    },
}

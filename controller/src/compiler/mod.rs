//! placeholder: the intent compiler

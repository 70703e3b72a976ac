//! Lower-case names for the vocabulary enums, the one spelling used in stored runs, CSV and
//! JSON output (`"long"`, `"stop_loss"`, `"maker"`, ...), and the parser that reads them back.

/// An enum with a fixed set of lower-case names.
pub trait Named: Sized + Copy + 'static {
    /// Every variant, in declaration order.
    const ALL: &'static [Self];
    /// What the kind of name is, for error messages ("exit reason").
    const WHAT: &'static str;

    fn as_str(self) -> &'static str;

    /// The variant named `name`, or an error listing the known names.
    fn from_name(name: &str) -> Result<Self, UnknownName> {
        Self::ALL
            .iter()
            .copied()
            .find(|variant| variant.as_str() == name)
            .ok_or_else(|| UnknownName {
                what: Self::WHAT,
                name: name.to_owned(),
                known: Self::ALL.iter().map(|v| v.as_str()).collect(),
            })
    }
}

/// A name that is not one of an enum's names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{name}` (known: {})", known.join(", "))]
pub struct UnknownName {
    pub what: &'static str,
    pub name: String,
    pub known: Vec<&'static str>,
}

/// Implements a `const fn as_str`, [`Named`], `Display`, `FromStr`, serde and comparison with a
/// name from a list of
/// `Variant => "name"` pairs.
macro_rules! named_enum {
    ($ty:ty, $what:literal, { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// The lower-case name used in stored runs and output.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name),+
                }
            }
        }

        impl $crate::names::Named for $ty {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            const WHAT: &'static str = $what;
            fn as_str(self) -> &'static str {
                <$ty>::as_str(self)
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(<$ty>::as_str(*self))
            }
        }

        // Comparing with a name reads naturally in tests and filters: `reason == "stop_loss"`.
        impl ::std::cmp::PartialEq<str> for $ty {
            fn eq(&self, name: &str) -> bool {
                <$ty>::as_str(*self) == name
            }
        }

        impl ::std::cmp::PartialEq<&str> for $ty {
            fn eq(&self, name: &&str) -> bool {
                <$ty>::as_str(*self) == *name
            }
        }

        // Serde uses the same names (a derived `rename_all = "snake_case"` would spell
        // `TakeProfit1` as `take_profit1`).
        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(<$ty>::as_str(*self))
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let name = <String as ::serde::Deserialize>::deserialize(deserializer)?;
                <Self as $crate::names::Named>::from_name(&name).map_err(::serde::de::Error::custom)
            }
        }

        impl ::std::str::FromStr for $ty {
            type Err = $crate::names::UnknownName;
            fn from_str(name: &str) -> Result<Self, Self::Err> {
                <Self as $crate::names::Named>::from_name(name)
            }
        }
    };
}
pub(crate) use named_enum;

//! Enums kept as one of a fixed set of names: in a database column, in a form, in JSON. The names
//! are written once, in `stored_names!`; on the server the enum is a sea-orm value type through
//! them, so a row holding any other name fails to read (an error that is logged), instead of
//! quietly becoming some default.

/// A name that is none of an enum's names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a {of}")]
pub struct UnknownName {
    pub of: &'static str,
    pub name: String,
}

/// Gives an enum its names: `ALL`, `as_str`, `parse` (surrounding blanks ignored) and `FromStr`.
/// On the server, add `#[cfg_attr(feature = "ssr", derive(sea_orm::DeriveValueType))]` and
/// `#[cfg_attr(feature = "ssr", sea_orm(value_type = "String", to_str = "Type::as_str"))]` to
/// store it in a string column.
macro_rules! stored_names {
    ($ty:ident { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl $ty {
            /// Every value, in declaration order.
            pub const ALL: [$ty; [$(stringify!($variant)),+].len()] = [$($ty::$variant),+];

            /// The name it is stored and sent under.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            /// The value with exactly this name (surrounding blanks ignored); None otherwise.
            pub fn parse(raw: &str) -> Option<$ty> {
                let raw = raw.trim();
                $ty::ALL.into_iter().find(|v| v.as_str() == raw)
            }
        }

        impl std::str::FromStr for $ty {
            type Err = $crate::model::names::UnknownName;

            fn from_str(raw: &str) -> Result<$ty, Self::Err> {
                $ty::parse(raw).ok_or_else(|| $crate::model::names::UnknownName {
                    of: stringify!($ty),
                    name: raw.to_owned(),
                })
            }
        }
    };
}

pub(crate) use stored_names;

#[cfg(test)]
mod tests {
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Light {
        Red,
        Green,
    }
    stored_names!(Light { Red => "red", Green => "green" });

    #[test]
    fn names_round_trip_and_others_are_refused() {
        for light in Light::ALL {
            assert_eq!(Light::parse(light.as_str()), Some(light));
        }
        assert_eq!(Light::parse(" green "), Some(Light::Green));
        assert_eq!(Light::parse("Green"), None, "names are exact");
        let err = "blue".parse::<Light>().expect_err("not a light");
        assert_eq!(err.to_string(), "`blue` is not a Light");
    }
}

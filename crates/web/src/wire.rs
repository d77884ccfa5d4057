//! Field types that several dialects' bodies share. Leniency lives here, in serde: a field of
//! these types never fails the body, so a dialect can check every field in its own order and
//! name each problem in its own words.

use serde::Deserialize;
use serde::de::DeserializeOwned;

/// A field's value as sent: of the field's type, or not (kept as `Invalid`, never echoed).
/// With [`usergate_core::Patch`] around it, a field is absent, `null`, valid or invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked<T> {
    /// A value of the field's type.
    Valid(T),
    /// A value of another JSON type (or, for an enum, none of its names).
    Invalid,
}

impl<T> Checked<T> {
    /// The value, if it was of the field's type.
    pub fn valid(self) -> Option<T> {
        match self {
            Checked::Valid(v) => Some(v),
            Checked::Invalid => None,
        }
    }
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Checked<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Ok(T::deserialize(value).map_or(Checked::Invalid, Checked::Valid))
    }
}

/// A boolean as lenient clients send one: a JSON boolean, or the string `"true"`/`"false"` in
/// any case (pydomo sends `"active": "true"`, Entra `"False"`). Anything else fails, so that
/// `Checked<Flag>` keeps it as `Invalid`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::Bool(b) => Ok(Flag(b)),
            serde_json::Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Flag(true)),
            serde_json::Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Flag(false)),
            _ => Err(D::Error::custom("not a boolean")),
        }
    }
}

/// A JSON number that is a whole number in range (`7` or `7.0`, as JSON Schema's `integer`).
pub fn whole(n: &serde_json::Number) -> Option<i64> {
    n.as_i64().or_else(|| {
        let f = n.as_f64()?;
        // i64::MAX is not exact in f64: stay below 2^63.
        (f.fract() == 0.0 && (-9.223_372_036_854_775e18..9.223_372_036_854_775e18).contains(&f))
            .then_some(f as i64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use usergate_core::Patch;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        title: Patch<Checked<String>>,
    }

    fn title(json: &str) -> Patch<Checked<String>> {
        serde_json::from_str::<Body>(json)
            .expect("a field never fails")
            .title
    }

    #[test]
    fn every_json_value_is_a_state_of_the_field() {
        assert_eq!(title("{}"), Patch::Absent);
        assert_eq!(title(r#"{"title":null}"#), Patch::Null);
        assert_eq!(
            title(r#"{"title":"Dr"}"#),
            Patch::Value(Checked::Valid("Dr".into()))
        );
        for wrong in ["5", "true", "[]", "{}"] {
            assert_eq!(
                title(&format!(r#"{{"title":{wrong}}}"#)),
                Patch::Value(Checked::Invalid)
            );
        }
    }

    #[test]
    fn flags_are_booleans_or_their_names_in_any_case() {
        let flag = |json: &str| serde_json::from_str::<Checked<Flag>>(json).expect("checked");
        assert_eq!(flag("true"), Checked::Valid(Flag(true)));
        assert_eq!(flag(r#""False""#), Checked::Valid(Flag(false)));
        assert_eq!(flag(r#""TRUE""#), Checked::Valid(Flag(true)));
        for wrong in ["1", r#""yes""#, "[]", "\"\""] {
            assert_eq!(flag(wrong), Checked::Invalid, "{wrong}");
        }
    }

    #[test]
    fn whole_numbers_are_integers_or_integral_floats() {
        let n = |s: &str| serde_json::from_str::<serde_json::Number>(s).expect("number");
        assert_eq!(whole(&n("7")), Some(7));
        assert_eq!(whole(&n("7.0")), Some(7));
        assert_eq!(whole(&n("7.5")), None);
        assert_eq!(whole(&n("1e19")), None);
    }
}

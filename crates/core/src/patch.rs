//! What a change says of one field: nothing (keep it), `null` (clear it), or a value (set it).
//!
//! One type for the three states every partial update has, from the wire (a JSON body's
//! absent key, `null`, or value) down to the store's column update. With serde, a field of this
//! type is `Absent` when the key is missing (`#[serde(default)]`), `Null` for `null`, and
//! `Value` otherwise.

/// Keep, clear or set one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Patch<T> {
    /// Not mentioned: the field stays as it is.
    #[default]
    Absent,
    /// Cleared (`null`).
    Null,
    /// Set to this value.
    Value(T),
}

impl<T> Patch<T> {
    /// Whether the field is not mentioned.
    pub const fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    /// The value it sets, if it sets one.
    pub fn value(self) -> Option<T> {
        match self {
            Patch::Value(v) => Some(v),
            Patch::Absent | Patch::Null => None,
        }
    }

    /// A reference to the value, in the same state.
    pub const fn as_ref(&self) -> Patch<&T> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(v) => Patch::Value(v),
        }
    }

    /// The value mapped, in the same state.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(v) => Patch::Value(f(v)),
        }
    }

    /// What the field becomes, given what it is (`None`: empty).
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Absent => current,
            Patch::Null => None,
            Patch::Value(v) => Some(v),
        }
    }

    /// Sets `value` when there is one, clears otherwise (a whole record written over a field).
    pub fn set(value: Option<T>) -> Self {
        value.map_or(Patch::Null, Patch::Value)
    }

    /// Sets `value` when there is one, keeps the field otherwise.
    pub fn set_if(value: Option<T>) -> Self {
        value.map_or(Patch::Absent, Patch::Value)
    }
}

impl<T: PartialEq> Patch<T> {
    /// The change, or `Absent` when it would leave `current` as it is.
    pub fn against(self, current: Option<&T>) -> Self {
        match (&self, current) {
            (Patch::Null, None) => Patch::Absent,
            (Patch::Value(v), Some(c)) if v == c => Patch::Absent,
            _ => self,
        }
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Patch<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(d).map(|v| v.map_or(Patch::Null, Patch::Value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        title: Patch<String>,
    }

    fn title(json: &str) -> Patch<String> {
        serde_json::from_str::<Body>(json).expect("body").title
    }

    #[test]
    fn a_missing_key_keeps_null_clears_a_value_sets() {
        assert_eq!(title("{}"), Patch::Absent);
        assert_eq!(title(r#"{"title":null}"#), Patch::Null);
        assert_eq!(title(r#"{"title":"Dr"}"#), Patch::Value("Dr".to_owned()));
        assert!(serde_json::from_str::<Body>(r#"{"title":5}"#).is_err());
    }

    #[test]
    fn a_change_to_the_current_value_is_no_change() {
        let dr = "Dr".to_owned();
        assert_eq!(Patch::Value(dr.clone()).against(Some(&dr)), Patch::Absent);
        assert_eq!(Patch::<String>::Null.against(None), Patch::Absent);
        assert_eq!(Patch::Null.against(Some(&dr)), Patch::Null);
        assert_eq!(Patch::Value(1).apply(None), Some(1));
        assert_eq!(Patch::<i32>::Absent.apply(Some(2)), Some(2));
        assert_eq!(Patch::<i32>::Null.apply(Some(2)), None);
    }
}

//! Tags: unique names, insertion order, and n8n's answers.

use super::error::ApiError;
use super::json::Ts;
use super::rng::Rng;
use serde::Serialize;
use std::collections::HashMap;

/// n8n's longest tag name; longer ones (and empty ones) fail in the database and
/// are answered, oddly, as duplicates.
const MAX_NAME: usize = 24;

#[derive(Clone, Debug)]
pub struct Tag {
    pub id: String,
    pub name: String,
    pub created_at: Ts,
    pub updated_at: Ts,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagView<'a> {
    updated_at: Ts,
    created_at: Ts,
    id: &'a str,
    name: &'a str,
}

impl Tag {
    pub fn view(&self) -> TagView<'_> {
        TagView {
            updated_at: self.updated_at,
            created_at: self.created_at,
            id: &self.id,
            name: &self.name,
        }
    }
}

/// All tags of an instance.
#[derive(Debug, Default)]
pub struct Tags {
    list: Vec<Tag>,
    by_id: HashMap<String, usize>,
}

impl Tags {
    pub fn all(&self) -> &[Tag] {
        &self.list
    }

    pub fn get(&self, id: &str) -> Option<&Tag> {
        self.by_id.get(id).and_then(|&i| self.list.get(i))
    }

    pub fn by_name(&self, name: &str) -> Option<&Tag> {
        self.list.iter().find(|t| t.name == name)
    }

    /// Views of the given tag ids, skipping ids that no longer exist.
    pub fn views(&self, ids: &[String]) -> Vec<TagView<'_>> {
        ids.iter()
            .filter_map(|id| self.get(id))
            .map(Tag::view)
            .collect()
    }

    /// A new tag; n8n trims the name first.
    pub fn create(&mut self, name: &str, rng: &mut Rng) -> Result<&Tag, ApiError> {
        let name = name.trim();
        self.check_name(name, None)?;
        let now = Ts::now();
        let tag = Tag {
            id: rng.nanoid(),
            name: name.to_owned(),
            created_at: now,
            updated_at: now,
        };
        self.by_id.insert(tag.id.clone(), self.list.len());
        self.list.push(tag);
        Ok(&self.list[self.list.len() - 1])
    }

    /// The tag named `name`, created when missing (for seeding).
    pub fn ensure(&mut self, name: &str, rng: &mut Rng) -> Option<String> {
        if let Some(t) = self.by_name(name) {
            return Some(t.id.clone());
        }
        self.create(name, rng).ok().map(|t| t.id.clone())
    }

    /// Renames a tag; n8n trims the name first.
    pub fn rename(&mut self, id: &str, name: &str) -> Result<&Tag, ApiError> {
        let name = name.trim();
        let index = *self.by_id.get(id).ok_or_else(ApiError::not_found)?;
        self.check_name(name, Some(id))?;
        let tag = &mut self.list[index];
        tag.name = name.to_owned();
        tag.updated_at = Ts::now();
        Ok(tag)
    }

    pub fn remove(&mut self, id: &str) -> Option<Tag> {
        let index = self.by_id.remove(id)?;
        let tag = self.list.remove(index);
        for (i, t) in self.list.iter().enumerate().skip(index) {
            self.by_id.insert(t.id.clone(), i);
        }
        Some(tag)
    }

    fn check_name(&self, name: &str, except: Option<&str>) -> Result<(), ApiError> {
        let taken = self
            .list
            .iter()
            .any(|t| t.name == name && Some(t.id.as_str()) != except);
        if taken || name.is_empty() || name.chars().count() > MAX_NAME {
            return Err(ApiError::conflict("Tag already exists"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_bounded() {
        let mut tags = Tags::default();
        let mut rng = Rng::new(1);
        let prod = tags.create("prod", &mut rng).unwrap().id.clone();
        assert_eq!(
            tags.create("prod", &mut rng).unwrap_err().message,
            "Tag already exists"
        );
        assert_eq!(tags.create("", &mut rng).unwrap_err().status, 409);
        assert_eq!(
            tags.create(&"x".repeat(25), &mut rng).unwrap_err().status,
            409
        );
        let dev = tags.create("dev", &mut rng).unwrap().id.clone();
        assert_eq!(tags.rename(&dev, "prod").unwrap_err().status, 409);
        assert!(tags.rename(&prod, "prod").is_ok());
        assert_eq!(tags.rename("nope", "x").unwrap_err().status, 404);
        tags.remove(&prod);
        assert_eq!(tags.get(&dev).map(|t| t.name.as_str()), Some("dev"));
        assert_eq!(tags.all().len(), 1);
        // Names are trimmed first, as n8n does: blank is empty, padding is not counted.
        assert_eq!(tags.create("  ", &mut rng).unwrap_err().status, 409);
        assert_eq!(tags.create(" dev\t", &mut rng).unwrap_err().status, 409);
        let padded = format!(" {} ", "y".repeat(24));
        let long = tags.create(&padded, &mut rng).unwrap().id.clone();
        assert_eq!(tags.get(&long).map(|t| t.name.len()), Some(24));
        assert_eq!(
            tags.rename(&long, " re ").map(|t| t.name.clone()),
            Ok("re".into())
        );
    }
}

//! Canonical workflows: documents, ids and environment mapping files.

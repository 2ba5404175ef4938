//! The canonical state in Git: reading mappings and documents, recording an environment.

//! Research loaders (SPEC 1.5): implemented by the lead.

// The Inference module. Its contents are described in ../shared/DESIGN.md (Modules) and filled by the
// issue that owns it; this file only exists because a Swift target needs at least one source file.

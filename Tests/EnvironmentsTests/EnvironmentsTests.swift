// Tests for the module this target is named after; filled by the issue that owns the module.
import Testing

/// SplitMix64 (Steele, Lea & Flood 2014; Vigna's reference C code): used to seed ``RandomStream``.
///
/// Each call adds 0x9E3779B97F4A7C15 to the state and returns a mix of it, so every seed gives a
/// distinct, well-spread sequence.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The current state (the seed before the first call).
    public private(set) var state: UInt64

    /// Creates a generator whose first output mixes `seed &+ 0x9E3779B97F4A7C15`.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

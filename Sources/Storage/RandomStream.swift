/// A deterministic random stream: xoshiro256** (Blackman & Vigna) seeded with four outputs of
/// ``SplitMix64``, plus the draws the simulation needs, implemented here so they never change with
/// the toolchain (population spec §9.1).
///
/// Streams are derived, never shared: ``stage(seed:_:)`` for a pipeline stage, ``slot(seed:_:)``
/// for a persona or agent slot, ``substream(_:)`` for a named purpose. Each depends only on its seed,
/// so results are the same for any degree of concurrency.
public struct RandomStream: RandomNumberGenerator, Sendable {
    /// The multiplier that spreads stage and slot indices (2^64 / φ).
    static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// The seed this stream was created from; ``substream(_:)`` derives from it, not from the state.
    public let seed: UInt64
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    /// Creates the stream whose state is the first four outputs of `SplitMix64(seed:)`.
    public init(seed: UInt64) {
        self.seed = seed
        var seeder = SplitMix64(seed: seed)
        s0 = seeder.next()
        s1 = seeder.next()
        s2 = seeder.next()
        s3 = seeder.next()
    }

    /// The stream of pipeline stage `k`: seeded with `seed ^ (k &* 0x9E3779B97F4A7C15)`.
    public static func stage(seed: UInt64, _ k: UInt64) -> RandomStream {
        RandomStream(seed: seed ^ (k &* golden))
    }

    /// The stream of slot `i`: seeded with `seed ^ 0xA5A5A5A5A5A5A5A5 ^ (i &* 0x9E3779B97F4A7C15)`.
    public static func slot(seed: UInt64, _ i: UInt64) -> RandomStream {
        RandomStream(seed: seed ^ 0xA5A5_A5A5_A5A5_A5A5 ^ (i &* golden))
    }

    /// A named sub-stream: seeded with this stream's ``seed`` XOR the first 8 bytes (big-endian) of
    /// SHA-256(`name`). It does not depend on how many values this stream has drawn.
    public func substream(_ name: String) -> RandomStream {
        let digest = SHA256.digest(name)
        var mix: UInt64 = 0
        for byte in digest.prefix(8) {
            mix = mix << 8 | UInt64(byte)
        }
        return RandomStream(seed: seed ^ mix)
    }

    /// The next 64 random bits (xoshiro256**).
    public mutating func next() -> UInt64 {
        let result = rotateLeft(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotateLeft(s3, 45)
        return result
    }

    @inline(__always)
    private func rotateLeft(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }

    /// A uniform integer in `0..<bound` by Lemire's multiply-shift with rejection; `bound` must be > 0.
    public mutating func nextInt(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "nextInt(below:) needs a positive bound")
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }

    /// A uniform integer in `range` (`lower + nextInt(below: width)`; the full `Int` range uses one raw draw).
    public mutating func nextInt(in range: ClosedRange<Int>) -> Int {
        let lower = UInt64(bitPattern: Int64(range.lowerBound))
        let width = UInt64(bitPattern: Int64(range.upperBound)) &- lower &+ 1
        if width == 0 {
            return Int(truncatingIfNeeded: next())
        }
        return Int(truncatingIfNeeded: lower &+ nextInt(below: width))
    }

    /// A uniform double in [0, 1) with 53 random bits: `Double(next() >> 11) * 2^-53`.
    public mutating func nextDouble() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Shuffles `array` in place by Fisher–Yates: for i from n-1 down to 1, swap i with `nextInt(below: i+1)`.
    public mutating func shuffle<T>(_ array: inout [T]) {
        guard array.count > 1 else { return }
        for i in stride(from: array.count - 1, through: 1, by: -1) {
            let j = Int(nextInt(below: UInt64(i + 1)))
            array.swapAt(i, j)
        }
    }

    /// A weighted choice: draws `u = nextDouble() * total` and returns the first index whose cumulative
    /// weight exceeds `u`. Weights that are not positive (or not finite) are never picked; returns
    /// `nil` without drawing when no weight is positive.
    public mutating func pickIndex(weights: [Double]) -> Int? {
        var total = 0.0
        var lastPositive: Int?
        for (index, weight) in weights.enumerated() where weight > 0 && weight.isFinite {
            total += weight
            lastPositive = index
        }
        guard let lastPositive, total > 0, total.isFinite else { return nil }
        let target = nextDouble() * total
        var cumulative = 0.0
        for (index, weight) in weights.enumerated() where weight > 0 && weight.isFinite {
            cumulative += weight
            if target < cumulative { return index }
        }
        return lastPositive
    }
}

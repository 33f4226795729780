import Storage
import Testing

// Golden values come from Vigna's reference C code (splitmix64.c, xoshiro256starstar.c) and
// Lemire's bounded draw, compiled with gcc and run once; see the Storage module docs.

@Suite("SplitMix64")
struct SplitMix64Tests {
    static let goldens: [(UInt64, [UInt64])] = [
        (
            0,
            [
                0xE220_A839_7B1D_CDAF, 0x6E78_9E6A_A1B9_65F4, 0x06C4_5D18_8009_454F, 0xF88B_B8A8_724C_81EC,
                0x1B39_896A_51A8_749B,
            ]
        ),
        (
            1,
            [
                0x910A_2DEC_8902_5CC1, 0xBEEB_8DA1_658E_EC67, 0xF893_A2EE_FB32_555E, 0x71C1_8690_EE42_C90B,
                0x71BB_54D8_D101_B5B9,
            ]
        ),
        (
            42,
            [
                0xBDD7_3226_2FEB_6E95, 0x28EF_E333_B266_F103, 0x4752_6757_130F_9F52, 0x581C_E1FF_0E4A_E394,
                0x09BC_585A_2448_23F2,
            ]
        ),
        (
            0xDEAD_BEEF_CAFE_BABE,
            [
                0x0D7D_9356_0D19_29D2, 0x491D_FB74_0E50_D43F, 0x4272_2BF4_473E_5E7D, 0xD6CA_8A07_90FF_FC45,
                0xB2D3_AB00_4CDB_504B,
            ]
        ),
        (
            .max,
            [
                0xE4D9_7177_1B65_2C20, 0xE99F_F867_DBF6_82C9, 0x382F_F84C_B272_81E9, 0x6D1D_B36C_CBA9_82D2,
                0xB4A0_472E_5780_69AE,
            ]
        ),
    ]

    @Test("the first outputs match the reference C implementation", arguments: goldens)
    func golden(seed: UInt64, expected: [UInt64]) {
        var generator = SplitMix64(seed: seed)
        #expect((0..<5).map { _ in generator.next() } == expected)
    }
}

@Suite("RandomStream")
struct RandomStreamTests {
    static let goldens: [(UInt64, [UInt64])] = [
        (
            0,
            [
                0x99EC_5F36_CB75_F2B4, 0xBF6E_1F78_4956_452A, 0x1A5F_849D_4933_E6E0, 0x6AA5_94F1_262D_2D2C,
                0xBBA5_AD4A_1F84_2E59,
            ]
        ),
        (
            1,
            [
                0xB3F2_AF6D_0FC7_10C5, 0x853B_5596_4736_4CEA, 0x92F8_9756_082A_4514, 0x642E_1C7B_C266_A3A7,
                0xB27A_48E2_9A23_3673,
            ]
        ),
        (
            42,
            [
                0x1578_0B2E_0C2E_C716, 0x6104_D986_6D11_3A7E, 0xAE17_5332_39E4_99A1, 0xECB8_AD47_03B3_60A1,
                0xFDE6_DC7F_E2EC_5E64,
            ]
        ),
        (
            0xDEAD_BEEF_CAFE_BABE,
            [
                0x2299_B342_1AA7_8B66, 0x9AF6_5504_83E0_2887, 0xDA05_9CB5_EEC5_C979, 0xCF86_BD29_360F_FF98,
                0x5CC8_83C9_4008_9820,
            ]
        ),
        (
            .max,
            [
                0x8F55_20D5_2A7E_AD08, 0xC476_A018_CAA1_802D, 0x81DE_31C0_D260_469E, 0xBF65_8D7E_065F_3C2F,
                0x9135_93FD_A1BC_A32A,
            ]
        ),
    ]

    @Test("xoshiro256** seeded by SplitMix64 matches the reference C implementation", arguments: goldens)
    func golden(seed: UInt64, expected: [UInt64]) {
        var stream = RandomStream(seed: seed)
        #expect((0..<5).map { _ in stream.next() } == expected)
    }

    @Test("stage and slot streams use the documented seed derivations")
    func stageAndSlot() {
        var stage = RandomStream.stage(seed: 42, 3)
        #expect(stage.next() == 0x6A41_5EC3_17EC_9285)
        var slot = RandomStream.slot(seed: 42, 5)
        #expect(slot.next() == 0x6BEA_2E1C_C0A2_E174)
        #expect(RandomStream.stage(seed: 42, 0).seed == 42)
        #expect(RandomStream.slot(seed: 42, 0).seed == UInt64(42) ^ 0xA5A5_A5A5_A5A5_A5A5)
    }

    @Test("bounded draws match Lemire's reference, including bounds near 2^64")
    func boundedGolden() {
        var stream = RandomStream(seed: 42)
        let bounds: [UInt64] = [1, 2, 3, 6, 7, 10, 100, 1000, 0x8000_0000_0000_0001, .max]
        #expect(
            bounds.map { stream.nextInt(below: $0) }
                == [0, 0, 2, 5, 6, 7, 71, 850, 7_022_439_175_346_172_479, 10_760_895_422_300_929_084])
        var dice = RandomStream(seed: 7)
        #expect(
            (0..<20).map { _ in dice.nextInt(in: 1...6) }
                == [5, 2, 6, 6, 6, 6, 1, 1, 3, 1, 4, 5, 6, 6, 3, 4, 2, 3, 1, 1])
    }

    @Test("bounded draws stay in range for small, odd and huge ranges")
    func boundedRange() {
        var stream = RandomStream(seed: 9)
        for bound in [1, 2, 3, 5, 7, 1000, UInt64.max / 3 * 2, .max] as [UInt64] {
            for _ in 0..<200 { #expect(stream.nextInt(below: bound) < bound) }
        }
        for _ in 0..<200 {
            #expect((-3...3).contains(stream.nextInt(in: -3...3)))
            #expect(stream.nextInt(in: 5...5) == 5)
        }
        _ = stream.nextInt(in: Int.min...Int.max)
        let nearTop = stream.nextInt(in: (Int.max - 1)...Int.max)
        #expect(nearTop >= Int.max - 1)
    }

    @Test("a six-sided die is roughly uniform over 60,000 rolls")
    func uniformity() {
        var stream = RandomStream(seed: 123)
        var counts = [Int](repeating: 0, count: 6)
        for _ in 0..<60_000 { counts[Int(stream.nextInt(below: 6))] += 1 }
        for count in counts { #expect((9_500...10_500).contains(count), "\(counts)") }
    }

    @Test("doubles use the top 53 bits and stay in [0, 1)")
    func doubles() {
        var stream = RandomStream(seed: 42)
        #expect(stream.nextDouble() == 0.083862971059882163)
        #expect(stream.nextDouble() == 0.37898025066266861)
        #expect(stream.nextDouble() == 0.68004341102813937)
        var sum = 0.0
        for _ in 0..<10_000 {
            let value = stream.nextDouble()
            #expect(value >= 0 && value < 1)
            sum += value
        }
        #expect(abs(sum / 10_000 - 0.5) < 0.02)
    }

    @Test("shuffle is Fisher-Yates from the top and matches the reference order")
    func shuffleGolden() {
        var stream = RandomStream(seed: 2024)
        var array = Array(0..<10)
        stream.shuffle(&array)
        #expect(array == [2, 3, 8, 5, 6, 4, 1, 9, 7, 0])
        var empty: [Int] = []
        var single = [1]
        var untouched = RandomStream(seed: 2024)
        untouched.shuffle(&empty)
        untouched.shuffle(&single)
        #expect(untouched.next() == RandomStream(seed: 2024).peekFirst())
    }

    @Test("pickIndex follows the weights and skips non-positive ones")
    func pickIndex() {
        var stream = RandomStream(seed: 5)
        #expect(stream.pickIndex(weights: []) == nil)
        #expect(stream.pickIndex(weights: [0, -1, .nan]) == nil)
        for _ in 0..<100 { #expect(stream.pickIndex(weights: [0, 2, -5, 0]) == 1) }
        var counts = [0, 0, 0]
        for _ in 0..<30_000 {
            if let index = stream.pickIndex(weights: [1, 0, 3]) { counts[index] += 1 }
        }
        #expect(counts[1] == 0)
        #expect((7_000...8_000).contains(counts[0]), "\(counts)")
        // Golden: u = nextDouble() * total, first cumulative weight above u.
        var replay = RandomStream(seed: 42)
        #expect(replay.pickIndex(weights: [1, 1, 1, 1]) == 0)  // u = 0.0839 * 4 = 0.335
        #expect(replay.pickIndex(weights: [1, 1, 1, 1]) == 1)  // u = 0.379 * 4 = 1.516
        #expect(replay.pickIndex(weights: [1, 1, 1, 1]) == 2)  // u = 0.680 * 4 = 2.720
    }

    @Test("substreams depend only on the seed and the name")
    func substreams() {
        let base = RandomStream(seed: 99)
        var advanced = base
        for _ in 0..<17 { _ = advanced.next() }
        var first = base.substream("personas")
        var second = advanced.substream("personas")
        var other = base.substream("events")
        let a = (0..<8).map { _ in first.next() }
        let b = (0..<8).map { _ in second.next() }
        let c = (0..<8).map { _ in other.next() }
        #expect(a == b)
        #expect(a != c)
        var parent = RandomStream(seed: 99)
        #expect(a != (0..<8).map { _ in parent.next() })
        // Pinned: seed 99 XOR the first 8 bytes of SHA-256("personas").
        let digest = SHA256.digest("personas")
        let mix = digest.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(base.substream("personas").seed == 99 ^ mix)
    }

    @Test("slot streams are independent of each other and of the order they are created in")
    func slotIndependence() {
        let forward = (0..<50).map { i -> UInt64 in
            var stream = RandomStream.slot(seed: 7, UInt64(i))
            return stream.next()
        }
        let backward = (0..<50).reversed().map { i -> UInt64 in
            var stream = RandomStream.slot(seed: 7, UInt64(i))
            return stream.next()
        }
        #expect(forward == backward.reversed())
        #expect(Set(forward).count == 50)
        var stageZero = RandomStream.stage(seed: 7, 0)
        var slotZero = RandomStream.slot(seed: 7, 0)
        #expect(stageZero.next() != slotZero.next())
    }
}

extension RandomStream {
    fileprivate func peekFirst() -> UInt64 {
        var copy = self
        return copy.next()
    }
}

import Storage
import Testing

@Suite("SHA256")
struct SHA256Tests {
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ]

    @Test("NIST FIPS 180-4 example messages hash to the published digests", arguments: vectors)
    func nistVectors(message: String, expected: String) {
        #expect(SHA256.hex(message) == expected)
        #expect(SHA256.hexDigest(Array(message.utf8)) == expected)
        #expect(SHA256.hex(SHA256.digest(Array(message.utf8))) == expected)
    }

    @Test("one million 'a' bytes hash to the published digest")
    func oneMillionA() {
        var hasher = SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        for _ in 0..<1000 { hasher.update(chunk) }
        #expect(
            SHA256.hexEncoded(hasher.finalize())
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("streaming updates split at awkward boundaries equal the one-shot digest")
    func streamingEqualsOneShot() {
        let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let expected = SHA256.digest(message)
        for splits in [[0, 1, 55, 56, 63, 64, 65, 127, 128, 129, 500, 1000], [63, 64], [55], [119, 120, 121], [999]] {
            var hasher = SHA256()
            var start = 0
            for end in splits {
                hasher.update(message[start..<end])
                start = end
            }
            hasher.update(message[start...])
            #expect(hasher.finalize() == expected, "splits \(splits)")
        }
    }

    @Test("messages of every length around the padding boundary hash like a byte-at-a-time stream")
    func paddingBoundaries() {
        for length in 50...130 {
            let message = [UInt8](repeating: 0x61, count: length)
            var hasher = SHA256()
            for byte in message { hasher.update(CollectionOfOne(byte)) }
            #expect(hasher.finalize() == SHA256.digest(message), "length \(length)")
        }
        // 55, 56 and 64 bytes are where one-block and two-block padding differ; pinned with sha256sum.
        #expect(
            SHA256.hex(String(repeating: "a", count: 55))
                == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(
            SHA256.hex(String(repeating: "a", count: 56))
                == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(
            SHA256.hex(String(repeating: "a", count: 64))
                == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
    }

    @Test("a non-contiguous sequence hashes like the same bytes in an array")
    func nonContiguousSequence() {
        let lazyBytes = (0..<200).lazy.map { UInt8($0) }
        #expect(SHA256.digest(lazyBytes) == SHA256.digest(Array(lazyBytes)))
    }

    @Test("hex of bytes encodes two lowercase digits per byte, while hex of a string hashes it")
    func hexEncoding() {
        #expect(SHA256.hex([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(SHA256.hexEncoded([0x00, 0x0f, 0xa0, 0xff]) == "000fa0ff")
        #expect(SHA256.hex(SHA256.digest("abc").prefix(16)) == "ba7816bf8f01cfea414140de5dae2223")
        #expect(SHA256.hex("abc").count == 64)
        #expect(SHA256.digest("abc").count == 32)
    }
}

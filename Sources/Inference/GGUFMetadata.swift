public import Foundation

/// The key–value header of a GGUF model file: the trained context length, the shapes that size the
/// KV cache, and the chat template, read without loading the weights.
///
/// GGUF (llama.cpp's format) starts with `GGUF`, a version (2 or 3), the tensor and key counts, then
/// the keys: a length-prefixed name, a type tag and a value. Scalars and strings are kept; arrays
/// (the tokenizer's vocabulary, hundreds of thousands of strings) are skipped, only their length kept.
public struct GGUFMetadata: Sendable, Hashable {
    /// One value of the header.
    public enum Value: Sendable, Hashable {
        /// Any integer type (u8 … i64; a u64 above `Int64.max` is clamped).
        case integer(Int64)
        /// f32 or f64.
        case number(Double)
        /// A boolean.
        case bool(Bool)
        /// A UTF-8 string.
        case string(String)
        /// An array, of which only the element count is kept.
        case array(count: Int)
    }

    /// The format version (2 or 3).
    public var version: UInt32
    /// The number of tensors the file declares.
    public var tensorCount: Int
    /// The keys in file order, with their values.
    public var entries: [(key: String, value: Value)]

    /// Creates metadata (tests; files go through ``read(_:)`` or ``parse(_:)``).
    public init(version: UInt32, tensorCount: Int, entries: [(key: String, value: Value)]) {
        self.version = version
        self.tensorCount = tensorCount
        self.entries = entries
    }

    /// Metadata is equal when version, tensor count and entries are.
    public static func == (lhs: GGUFMetadata, rhs: GGUFMetadata) -> Bool {
        lhs.version == rhs.version && lhs.tensorCount == rhs.tensorCount
            && lhs.entries.map(\.key) == rhs.entries.map(\.key) && lhs.entries.map(\.value) == rhs.entries.map(\.value)
    }

    /// Hashes the version, tensor count and keys.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(version)
        hasher.combine(tensorCount)
        for entry in entries { hasher.combine(entry.key) }
    }

    /// The value of `key`, if present.
    public subscript(key: String) -> Value? { entries.first { $0.key == key }?.value }

    /// The integer value of `key`, if present and an integer.
    public func integer(_ key: String) -> Int? {
        if case .integer(let value)? = self[key] { return Int(clamping: value) }
        return nil
    }

    /// The string value of `key`, if present and a string.
    public func string(_ key: String) -> String? {
        if case .string(let value)? = self[key] { return value }
        return nil
    }

    /// `general.architecture` (`gemma3`, `llama`, …).
    public var architecture: String? { string("general.architecture") }

    /// `<arch>.context_length`: the context the model was trained with, in tokens.
    public var trainedContextLength: Int? { architecture.flatMap { integer("\($0).context_length") } }

    /// `tokenizer.chat_template`, the Jinja template the model was tuned with, if the file has one.
    public var chatTemplate: String? { string("tokenizer.chat_template") }

    /// Bytes of KV cache one token of context costs at f16 (keys and values, every layer), or
    /// `nil` when the header lacks the shapes: `2 × layers × kv heads × (key + value length) / 2 × 2`.
    public var kvBytesPerToken: Int? {
        guard let arch = architecture, let layers = integer("\(arch).block_count"), layers > 0 else { return nil }
        let heads = integer("\(arch).attention.head_count") ?? 0
        let kvHeads = integer("\(arch).attention.head_count_kv") ?? heads
        let embedding = integer("\(arch).embedding_length") ?? 0
        let headSize = heads > 0 ? embedding / heads : 0
        let keyLength = integer("\(arch).attention.key_length") ?? headSize
        let valueLength = integer("\(arch).attention.value_length") ?? headSize
        guard kvHeads > 0, keyLength > 0, valueLength > 0 else { return nil }
        return layers * kvHeads * (keyLength + valueLength) * 2
    }

    /// What is wrong with a file that is not GGUF.
    public struct FormatError: Error, Sendable, CustomStringConvertible {
        /// What was wrong, and where.
        public var message: String
        /// The message.
        public var description: String { message }
    }

    /// Reads the header of the GGUF file at `url` (memory-mapped: only the header pages are touched).
    public static func read(_ url: URL) throws(InferenceError) -> GGUFMetadata {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw InferenceError(
                .invalidConfiguration, "cannot read \(url.path): \(error). Give a readable GGUF model file.",
                underlying: error)
        }
        do throws(FormatError) {
            return try parse(data)
        } catch {
            throw InferenceError(
                .invalidConfiguration,
                "\(url.path) is not a usable GGUF file: \(error.message). Rebuild it (agora model setup --rebuild).")
        }
    }

    /// Parses a GGUF header from the start of `data`.
    public static func parse(_ data: Data) throws(FormatError) -> GGUFMetadata {
        var reader = Reader(data: data)
        let magic = try reader.bytes(4)
        guard magic == Array("GGUF".utf8) else {
            throw FormatError(message: "it does not start with GGUF (found \(magic.map { String($0) }))")
        }
        let version = try reader.u32()
        guard version == 2 || version == 3 else {
            throw FormatError(message: "GGUF version \(version) is not supported (2 and 3 are)")
        }
        let tensors = try reader.count("the tensor count")
        let keys = try reader.count("the key count")
        var entries: [(key: String, value: Value)] = []
        entries.reserveCapacity(min(keys, 4096))
        for index in 0..<keys {
            let key = try reader.string("key \(index)")
            let type = try reader.u32()
            entries.append((key, try reader.value(type: type, key: key)))
        }
        return GGUFMetadata(version: version, tensorCount: tensors, entries: entries)
    }

    /// A little-endian cursor over the file's bytes.
    struct Reader {
        let data: Data
        var offset: Int

        init(data: Data) {
            self.data = data
            self.offset = data.startIndex
        }

        mutating func bytes(_ n: Int) throws(FormatError) -> [UInt8] {
            guard n >= 0, offset + n <= data.endIndex else {
                throw FormatError(message: "the header ends early at byte \(offset - data.startIndex)")
            }
            defer { offset += n }
            return Array(data[offset..<offset + n])
        }

        mutating func skip(_ n: Int) throws(FormatError) {
            guard n >= 0, offset + n <= data.endIndex else {
                throw FormatError(message: "the header ends early at byte \(offset - data.startIndex)")
            }
            offset += n
        }

        mutating func unsigned(_ width: Int) throws(FormatError) -> UInt64 {
            let raw = try bytes(width)
            var value: UInt64 = 0
            for (shift, byte) in raw.enumerated() { value |= UInt64(byte) << (8 * UInt64(shift)) }
            return value
        }

        mutating func u32() throws(FormatError) -> UInt32 { UInt32(try unsigned(4)) }

        /// A u64 count, bounded so a damaged file cannot ask for absurd allocations.
        mutating func count(_ what: String) throws(FormatError) -> Int {
            let value = try unsigned(8)
            guard value <= UInt64(Int32.max) else { throw FormatError(message: "\(what) \(value) is implausible") }
            return Int(value)
        }

        mutating func string(_ what: String) throws(FormatError) -> String {
            let length = try count("the length of \(what)")
            return String(decoding: try bytes(length), as: UTF8.self)
        }

        /// Byte widths of the fixed-size types, by GGUF type tag.
        static func width(of type: UInt32) -> Int? {
            switch type {
            case 0, 1, 7: 1
            case 2, 3: 2
            case 4, 5, 6: 4
            case 10, 11, 12: 8
            default: nil
            }
        }

        mutating func value(type: UInt32, key: String) throws(FormatError) -> Value {
            switch type {
            case 0, 2, 4, 10: return .integer(Int64(clamping: try unsigned(Self.width(of: type) ?? 8)))
            case 1, 3, 5, 11:
                let width = Self.width(of: type) ?? 8
                let raw = try unsigned(width)
                let shift = UInt64(64 - 8 * width)
                return .integer(Int64(bitPattern: raw << shift) >> Int64(shift))
            case 6: return .number(Double(Float(bitPattern: UInt32(try unsigned(4)))))
            case 12: return .number(Double(bitPattern: try unsigned(8)))
            case 7: return .bool(try unsigned(1) != 0)
            case 8: return .string(try string("the value of \(key)"))
            case 9:
                let elementType = try u32()
                let n = try count("the length of \(key)")
                if let width = Self.width(of: elementType) {
                    try skip(n * width)
                } else if elementType == 8 {
                    for _ in 0..<n { try skip(try count("a string in \(key)")) }
                } else {
                    throw FormatError(message: "\(key) is an array of type \(elementType), which cannot be skipped")
                }
                return .array(count: n)
            default:
                throw FormatError(message: "\(key) has unknown value type \(type)")
            }
        }
    }
}

internal import Yams

internal import Dispatch
internal import Foundation

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

// Shared machinery of both loaders: reading a file, composing it with Yams' node
// API (which keeps every scalar as written and knows where it was), and typed
// readers that report a located diagnostic instead of failing.

/// Collects the diagnostics of one file.
struct Checker {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) {
        self.file = file
    }

    mutating func error(line: Int, column: Int, _ path: String, _ message: String) {
        diagnostics.append(Diagnostic(file: file, line: line, column: column, path: path, message: message))
    }

    mutating func error(at mark: Mark?, _ path: String, _ message: String) {
        error(line: mark?.line ?? 1, column: mark?.column ?? 1, path, message)
    }

    mutating func error(at node: Node, _ path: String, _ message: String) {
        error(at: node.mark, path, message)
    }

    /// The diagnostics in file order; equal positions keep the order they were found in.
    var sortedDiagnostics: [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            (a.element.line, a.element.column, a.offset) < (b.element.line, b.element.column, b.offset)
        }.map(\.element)
    }

    func failure() -> ValidationFailure? {
        diagnostics.isEmpty ? nil : ValidationFailure(diagnostics: sortedDiagnostics)
    }
}

// MARK: - Reading and composing

enum YAMLFile {
    /// Reads and composes `path`; nil (with the reason in `checker`) when the file
    /// cannot be read, is not UTF-8 or is not well-formed YAML.
    static func compose(path: String, checker: inout Checker) -> Node? {
        compose(path: path, checker: &checker, splittingList: nil, parallelThreshold: .max, parts: 1)?.root
    }

    /// A composed document whose top-level list `splittingList` may have been read in
    /// parts: its items are the list's items followed by `continuation`.
    struct Composed {
        var root: Node
        var continuation: [Node] = []
    }

    /// Reads and composes `path`. When the file is at least `parallelThreshold` bytes
    /// and its top-level key `splittingList` holds a block list, the list is composed
    /// in `parts` parts at once (see `composeInParts`).
    static func compose(
        path: String, checker: inout Checker, splittingList: String?, parallelThreshold: Int, parts: Int
    ) -> Composed?
    {
        let bytes: [UInt8]
        switch readFile(path) {
        case .success(let read): bytes = read
        case .failure(let reason):
            checker.error(line: 1, column: 1, "", "cannot read: \(reason)")
            return nil
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            let (line, column) = position(ofFirstInvalidUTF8In: bytes)
            checker.error(line: line, column: column, "", "the file is not valid UTF-8 text")
            return nil
        }
        if let key = splittingList, bytes.count >= parallelThreshold {
            if parts > 1, let composed = composeInParts(bytes, list: key, parts: parts) {
                return composed
            }
        }
        do {
            // The basic resolver: values are taken as written, so no tag is ever resolved by
            // pattern (the default resolver runs regular expressions on every key).
            guard let root = try Yams.compose(yaml: text, .basic) else {
                checker.error(line: 1, column: 1, "", "the file is empty")
                return nil
            }
            return Composed(root: root)
        } catch let error as YamlError {
            report(error, bytes: bytes, checker: &checker)
            return nil
        } catch {
            checker.error(line: 1, column: 1, "", "YAML error: \(error)")
            return nil
        }
    }

    // MARK: Composing a long list in parts

    /// Composes a large file on several cores: the file is cut before items of the
    /// top-level block list `list` (lines that start with the items' indentation and
    /// `- `); the first part is composed as it is, every other part behind as many
    /// newlines as precede it in the file, so each part is a YAML list whose marks are
    /// the file's own lines and columns.
    ///
    /// Nil whenever anything is unusual — no such list, a part that does not compose
    /// (a syntax error, an alias to an anchor in another part, a quoted scalar cut in
    /// two, a key after the list) — and the caller composes the whole file in one
    /// piece, so every error is reported exactly as the plain parse reports it.
    static func composeInParts(_ bytes: [UInt8], list: String, parts: Int) -> Composed? {
        guard let cuts = cutPoints(bytes, list: list, parts: parts), cuts.count > 2 else { return nil }
        var texts: [String] = []
        var newlines = 0
        var counted = 0
        for index in 0..<(cuts.count - 1) {
            let start = cuts[index]
            let end = cuts[index + 1]
            if index == 0 {
                texts.append(String(decoding: bytes[start..<end], as: UTF8.self))
                continue
            }
            for byte in bytes[counted..<start] where byte == 0x0A { newlines += 1 }
            counted = start
            var part = [UInt8](repeating: 0x0A, count: newlines)
            part.append(contentsOf: bytes[start..<end])
            texts.append(String(decoding: part, as: UTF8.self))
        }
        let results = PartResults(count: texts.count)
        let sources = texts
        DispatchQueue.concurrentPerform(iterations: sources.count) { index in
            results.store(index, try? Yams.compose(yaml: sources[index], .basic))
        }
        let nodes = results.take()
        guard let first = nodes.first ?? nil, case .mapping = first else { return nil }
        var continuation: [Node] = []
        for node in nodes.dropFirst() {
            guard case .sequence(let items)? = node else { return nil }
            continuation.append(contentsOf: items[items.startIndex..<items.endIndex])
        }
        return Composed(root: first, continuation: continuation)
    }

    /// Byte offsets `[0, cut…, count]`, each cut at the start of a line that begins an
    /// item of the top-level block list `list`; nil when the file has no such list.
    static func cutPoints(_ bytes: [UInt8], list: String, parts: Int) -> [Int]? {
        let key = Array(list.utf8) + [UInt8(ascii: ":")]
        let count = bytes.count
        func lineEnd(_ start: Int) -> Int {
            var index = start
            while index < count, bytes[index] != 0x0A { index += 1 }
            return index
        }
        func restIsBlank(_ from: Int, _ end: Int) -> Bool {
            var index = from
            while index < end, bytes[index] == 0x20 || bytes[index] == 0x0D { index += 1 }
            return index == end || bytes[index] == UInt8(ascii: "#")
        }
        // The line `list:` at column 1, with nothing but a comment after it.
        var start = 0
        var keyLineEnd: Int?
        while start < count {
            let end = lineEnd(start)
            if end - start >= key.count, bytes[start..<(start + key.count)].elementsEqual(key),
                restIsBlank(start + key.count, end)
            {
                keyLineEnd = end
                break
            }
            start = end + 1
        }
        guard let keyLineEnd else { return nil }
        // Its first item: `<indent>- ` after blank and comment lines.
        var itemStart = keyLineEnd + 1
        var indent = 0
        while itemStart < count {
            let end = lineEnd(itemStart)
            if restIsBlank(itemStart, end) {
                itemStart = end + 1
                continue
            }
            while bytes[itemStart + indent] == 0x20 { indent += 1 }
            guard isItemStart(bytes, itemStart + indent) else { return nil }
            break
        }
        guard itemStart < count else { return nil }
        var cuts = [0]
        for part in 1..<parts {
            var index = max(itemStart + (count - itemStart) * part / parts, cuts.last! + 1, itemStart + 1)
            var found: Int?
            while index < count {
                if bytes[index - 1] == 0x0A, index + indent < count,
                    bytes[index..<(index + indent)].allSatisfy({ $0 == 0x20 }), isItemStart(bytes, index + indent)
                {
                    found = index
                    break
                }
                index += 1
            }
            guard let found else { break }
            cuts.append(found)
        }
        cuts.append(count)
        return cuts
    }

    /// `-` followed by a space or the end of the line.
    static func isItemStart(_ bytes: [UInt8], _ index: Int) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "-") else { return false }
        guard index + 1 < bytes.count else { return true }
        let next = bytes[index + 1]
        return next == 0x20 || next == 0x0A || next == 0x0D
    }

    static func report(_ error: YamlError, bytes: [UInt8], checker: inout Checker) {
        func withContext(_ problem: String, _ context: YamlError.Context?) -> String {
            guard let context else { return "YAML syntax error: \(problem)" }
            return "YAML syntax error: \(problem) (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            checker.error(at: mark, "", withContext(problem, context))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\(Text.shown($0))'" }.joined(separator: ", ")
            checker.error(
                at: context.mark, "",
                "duplicate key \(keys) in one mapping (each key may appear only once)")
        case .reader(let problem, let offset, _, _):
            let (line, column) = offset.map { position(ofByte: $0, in: bytes) } ?? (1, 1)
            checker.error(line: line, column: column, "", "cannot read the YAML text: \(problem)")
        default:
            checker.error(line: 1, column: 1, "", "YAML error: \(error)")
        }
    }

    enum ReadFailure: Error, CustomStringConvertible {
        case errno(Int32)
        var description: String {
            switch self {
            case .errno(let code): String(cString: strerror(code))
            }
        }
    }

    static func readFile(_ path: String) -> Result<[UInt8], ReadFailure> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(.errno(errno)) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var information = stat()
        if fstat(descriptor, &information) == 0, information.st_size > 0 {
            bytes.reserveCapacity(Int(information.st_size) + 1)
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.errno(errno))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return .success(bytes)
    }

    /// Line and column (in Unicode scalars) of a byte offset.
    static func position(ofByte offset: Int, in bytes: [UInt8]) -> (Int, Int) {
        var line = 1
        var column = 1
        for byte in bytes.prefix(offset) {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    static func position(ofFirstInvalidUTF8In bytes: [UInt8]) -> (Int, Int) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput, .error: break loop
            }
        }
        return position(ofByte: offset, in: bytes)
    }
}

// MARK: - Node helpers

extension Node {
    /// The scalar text exactly as written (never converted to a number or a boolean).
    var text: String? {
        if case .scalar(let scalar) = self { return scalar.string }
        return nil
    }

    /// A plain `~`, `null` or empty value.
    var isNull: Bool {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.style == .any else { return false }
        let utf8 = scalar.string.utf8
        guard let first = utf8.first else { return true }
        guard utf8.count <= 4, first == UInt8(ascii: "~") || first | 0x20 == UInt8(ascii: "n") else { return false }
        switch scalar.string {
        case "~", "null", "Null", "NULL": return true
        default: return false
        }
    }

    /// How the node is described in "expected …, found …".
    var shape: String {
        switch self {
        case .scalar: isNull ? "nothing" : "a single value"
        case .mapping: "a mapping (key: value pairs)"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }
}

// MARK: - Typed readers

extension Checker {
    /// A scalar, or nil (reported) for a list or mapping. Null is nil, unreported:
    /// callers treat it as "not given".
    mutating func scalar(_ node: Node, _ path: @autoclosure () -> String) -> String? {
        if node.isNull { return nil }
        guard let text = node.text else {
            error(at: node, path(), "expected a single value, found \(node.shape)")
            return nil
        }
        return text
    }

    /// A non-empty scalar; an empty or missing value is reported.
    mutating func requiredScalar(_ node: Node, _ path: @autoclosure () -> String, what: String = "a value")
        -> String?
    {
        if node.isNull {
            error(at: node, path(), "is empty (expected \(what))")
            return nil
        }
        guard let text = scalar(node, path()) else { return nil }
        if let first = text.utf8.first, first > 0x20, first < 0x80 {
            return text  // the common case, without walking characters
        }
        if text.allSatisfy(\.isWhitespace) {
            error(at: node, path(), "is empty (expected \(what))")
            return nil
        }
        return text
    }

    mutating func mapping(_ node: Node, _ path: @autoclosure () -> String) -> Node.Mapping? {
        if case .mapping(let mapping) = node { return mapping }
        if node.isNull { return Node.Mapping([]) }
        error(at: node, path(), "expected a mapping (key: value pairs), found \(node.shape)")
        return nil
    }

    mutating func list(_ node: Node, _ path: @autoclosure () -> String) -> [Node]? {
        if case .sequence(let sequence) = node { return Array(sequence[sequence.startIndex..<sequence.endIndex]) }
        if node.isNull { return [] }
        error(at: node, path(), "expected a list, found \(node.shape)")
        return nil
    }

    mutating func bool(_ node: Node, _ path: @autoclosure () -> String) -> Bool? {
        guard let text = scalar(node, path()) else {
            if node.isNull { error(at: node, path(), "is empty (expected true or false)") }
            return nil
        }
        switch text.lowercased() {
        case "true", "yes": return true
        case "false", "no": return false
        default:
            error(at: node, path(), "'\(Text.shown(text))' is not a boolean (expected true or false)")
            return nil
        }
    }

    mutating func integer(_ node: Node, _ path: @autoclosure () -> String, atLeast minimum: Int) -> Int? {
        guard let text = scalar(node, path()) else {
            if node.isNull { error(at: node, path(), "is empty (expected a whole number)") }
            return nil
        }
        guard let value = Text.integer(text) else {
            error(at: node, path(), "'\(Text.shown(text))' is not a whole number")
            return nil
        }
        guard value >= minimum else {
            error(at: node, path(), "'\(Text.shown(text))' is too small (expected at least \(minimum))")
            return nil
        }
        return value
    }

    mutating func severity(_ node: Node, _ path: @autoclosure () -> String) -> Int? {
        guard let text = scalar(node, path()) else {
            if node.isNull { error(at: node, path(), "is empty (expected a severity: 1, 2, 3 or 4)") }
            return nil
        }
        guard let value = Text.integer(text), (1...4).contains(value) else {
            error(at: node, path(), "'\(Text.shown(text))' is not a severity (expected 1, 2, 3 or 4)")
            return nil
        }
        return value
    }

    /// A duration in seconds; `positive` rejects zero.
    mutating func duration(_ node: Node, _ path: @autoclosure () -> String, positive: Bool) -> Double? {
        guard let text = scalar(node, path()) else {
            if node.isNull { error(at: node, path(), "is empty (expected a duration such as 30s, 5m or 1h)") }
            return nil
        }
        guard let seconds = DurationText.seconds(text) else {
            error(
                at: node, path(),
                "'\(Text.shown(text))' is not a duration (expected a number with ms, s, m, h or d, such as 30s, 5m or 1h, or a number of seconds)"
            )
            return nil
        }
        if positive, seconds <= 0 {
            error(at: node, path(), "'\(Text.shown(text))' must be longer than zero")
            return nil
        }
        return seconds
    }

    /// A size in bytes: `20MiB`, `512 KiB`, `20MB` (taken as MiB, as operators mean it) or a number of bytes.
    mutating func size(_ node: Node, _ path: @autoclosure () -> String) -> Int? {
        guard let text = scalar(node, path()) else {
            if node.isNull { error(at: node, path(), "is empty (expected a size such as 20MiB)") }
            return nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix(while: \.isNumber)
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Int] = ["": 1, "b": 1, "k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
                                          "m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20, "g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30]
        guard let number = Int(digits), let multiplier = multipliers[unit], number > 0,
            number <= Int.max / multiplier
        else {
            error(at: node, path(), "'\(Text.shown(text))' is not a size (expected a number with KiB, MiB or GiB, such as 20MiB)")
            return nil
        }
        return number * multiplier
    }

    /// A non-empty list of durations.
    mutating func durations(_ node: Node, _ path: @autoclosure () -> String) -> [Double]? {
        guard let items = list(node, path()) else { return nil }
        guard !items.isEmpty else {
            error(at: node, path(), "is empty (expected a list of durations such as [1m, 5m, 1h])")
            return nil
        }
        var result: [Double] = []
        var valid = true
        for (index, item) in items.enumerated() {
            if let seconds = duration(item, "\(path())[\(index)]", positive: false) {
                result.append(seconds)
            } else {
                valid = false
            }
        }
        return valid ? result : nil
    }

    /// An environment variable's name whose variable must be set (and not empty).
    mutating func environmentVariable(
        _ node: Node, _ path: @autoclosure () -> String, in environment: [String: String]
    ) -> (name: String, value: String)? {
        guard let name = requiredScalar(node, path(), what: "the name of an environment variable") else {
            return nil
        }
        guard Text.isEnvironmentName(name) else {
            error(
                at: node, path(),
                "'\(Text.shown(name))' is not an environment variable name (letters, digits and '_', not starting with a digit)"
            )
            return nil
        }
        guard let value = environment[name] else {
            error(at: node, path(), "environment variable \(name) is not set")
            return nil
        }
        guard !value.isEmpty else {
            error(at: node, path(), "environment variable \(name) is empty")
            return nil
        }
        return (name, value)
    }

    /// The pairs of a mapping with YAML merge keys expanded: `<<: *common` (or a list
    /// of aliases) adds the pairs of the merged mappings that the mapping does not set
    /// itself; merged values keep their own locations.
    mutating func entries(_ mapping: Node.Mapping, _ path: @autoclosure () -> String) -> [(key: Node, value: Node)] {
        // Iterating (rather than `Array(mapping)`) lets Yams hand over its pairs in one
        // specialised pass; this runs for every mapping of a large file.
        var pairs: [(key: Node, value: Node)] = []
        var merges = false
        for pair in mapping {
            if !merges, case .scalar(let scalar) = pair.key, scalar.string == "<<" { merges = true }
            pairs.append(pair)
        }
        guard merges else { return pairs }
        var result: [(key: Node, value: Node)] = []
        var sources: [Node.Mapping] = []
        for pair in pairs {
            guard pair.key.text == "<<" else {
                result.append(pair)
                continue
            }
            switch pair.value {
            case .mapping(let source): sources.append(source)
            case .sequence(let list) where list.allSatisfy({ $0.mapping != nil }):
                sources.append(contentsOf: list.compactMap(\.mapping))
            default:
                error(at: pair.value, path(), "the merge key << takes a mapping or a list of mappings, found \(pair.value.shape)")
            }
        }
        var present = Set(result.compactMap(\.key.text))
        for source in sources {
            for pair in entries(source, path()) where pair.key.text.map({ present.insert($0).inserted }) ?? true {
                result.append(pair)
            }
        }
        return result
    }

    /// Reports a key that is not among `allowed`, suggesting the closest one.
    mutating func unknownKey(_ keyNode: Node, _ key: String, allowed: [String], _ path: @autoclosure () -> String) {
        let list = allowed.joined(separator: ", ")
        if let suggestion = Text.closest(to: key, among: allowed) {
            error(at: keyNode, path(), "unknown key '\(Text.shown(key))': did you mean '\(suggestion)'? (allowed keys: \(list))")
        } else {
            error(at: keyNode, path(), "unknown key '\(Text.shown(key))' (allowed keys: \(list))")
        }
    }

    /// The key of a mapping pair as text; a non-scalar key is reported.
    mutating func key(_ keyNode: Node, _ path: @autoclosure () -> String) -> String? {
        guard let key = keyNode.text else {
            error(at: keyNode, path(), "expected a key name, found \(keyNode.shape)")
            return nil
        }
        return key
    }

    mutating func missing(_ key: String, in node: Node, _ path: String) {
        error(at: node, path.isEmpty ? key : "\(path).\(key)", "required key '\(key)' is missing")
    }
}

/// Joins `a`, `b` and `c` as "a, b or c".
func alternatives(_ words: [String]) -> String {
    guard let last = words.last else { return "" }
    if words.count == 1 { return last }
    return words.dropLast().joined(separator: ", ") + " or " + last
}

/// The nodes composed by the parts of a file, one slot per part.
///
/// `@unchecked Sendable`: each worker of `DispatchQueue.concurrentPerform` writes only
/// its own slot, and the slots are read only after `concurrentPerform` has returned,
/// which orders every write before the reads.
final class PartResults: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Node?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func store(_ index: Int, _ node: Node?) {
        slots[index] = node
    }

    func take() -> [Node?] {
        Array(slots)
    }
}

/// One located problem in a configuration or registrations file, printed the way
/// compilers print theirs (SPEC 4):
///
///     registrations.yaml:41:18: customers[3].contacts[0].email: 'x@' is not an email address
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
    /// The file, as the user gave it (or as resolved from the configuration).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column, counted in Unicode scalars.
    public var column: Int
    /// The field: `customers[3].contacts[0].email`, `feeds[1].url`, `email.transport`;
    /// empty for problems with the file as a whole.
    public var path: String
    /// What is wrong and what is expected.
    public var message: String

    public init(file: String, line: Int, column: Int, path: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? "\(file):\(line):\(column): \(message)" : "\(file):\(line):\(column): \(path): \(message)"
    }
}

/// Thrown when a file is invalid: every problem found in one pass, in file order
/// (line, then column).
public struct ValidationFailure: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One diagnostic a line.
    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

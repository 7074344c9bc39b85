import SwarmBase

/// Why a scenario file cannot be run: the file, the JSON path of the value at fault and what to
/// change, written `scenarios/x.json: events[3].round: 40 is past training.rounds (30)`.
/// The line the value starts on is kept too (`line`), for editors; the message leaves it out so it
/// reads the same whatever the file's layout.
public struct ScenarioError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file, as given.
    public let file: String
    /// The JSON path (`events[3].round`); nil for an error about the file as a whole (unreadable,
    /// not JSON).
    public let path: String?
    /// The line the value starts on, when known.
    public let line: Int?
    public let message: String

    public init(file: String, path: String?, line: Int?, message: String) {
        self.file = file
        self.path = path
        self.line = line
        self.message = message
    }

    /// The located error of a JSON document, as a scenario error.
    public init(_ error: JSONDocumentError) {
        // A syntax error has no path: its line is the only position, so it stays in the message.
        let message = error.path == nil && error.line != nil ? "line \(error.line!): \(error.message)" : error.message
        self.init(file: error.source, path: error.path, line: error.line, message: message)
    }

    public var description: String {
        if let path { return "\(file): \(path): \(message)" }
        return "\(file): \(message)"
    }
}

extension Double {
    /// The number as a message shows it: whole numbers without ".0" (`0`, `40`), others as Swift
    /// prints them (`0.25`).
    var plain: String { self == rounded() && abs(self) < 1e15 ? String(Int(self)) : "\(self)" }
}

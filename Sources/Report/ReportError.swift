import SwarmBase

/// Why report.html could not be written: the path and the file system's reason (a full disk says
/// so, and that no partial file was left).
public struct ReportError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let file: FileError

    public init(path: String, file: FileError) {
        self.path = path
        self.file = file
    }

    public var description: String {
        var text = "cannot write the report \(path): \(file.reason)"
        if file.errno == .noSpace { text += " (the disk is full; free space and retry; no partial report was left)" }
        return text
    }
}

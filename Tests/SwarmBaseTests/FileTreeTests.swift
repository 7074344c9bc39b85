import Testing
import SwarmBase
#if canImport(Glibc)
import Glibc
#endif

@Suite("File trees")
struct FileTreeTests {
    @Test("removeTree deletes a directory with nested files and directories; a missing path is fine")
    func removeTree() throws {
        let root = "/tmp/swarmbase-tree-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileIO.makeDirectories(FileIO.join(root, "a/b"))
        try FileIO.writeAtomically([1], to: FileIO.join(root, "top"))
        try FileIO.writeAtomically([2], to: FileIO.join(root, "a/b/deep"))
        #expect(try FileIO.entries(of: root) == ["a", "top"])
        try FileIO.removeTree(root)
        #expect(FileIO.kind(of: root) == .missing)
        try FileIO.removeTree(root)
    }

    @Test("move renames a directory into place and names the destination when it fails")
    func move() throws {
        let root = "/tmp/swarmbase-move-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileIO.removeTree(root) }
        try FileIO.makeDirectories(FileIO.join(root, "staging"))
        try FileIO.writeAtomically([7], to: FileIO.join(root, "staging/f"))
        try FileIO.move(FileIO.join(root, "staging"), to: FileIO.join(root, "final"))
        #expect(try FileIO.readAll(FileIO.join(root, "final/f"), limit: 10) == [7])
        #expect(FileIO.kind(of: FileIO.join(root, "staging")) == .missing)
        do {
            try FileIO.move(FileIO.join(root, "nothing"), to: FileIO.join(root, "else"))
            Issue.record("moving a missing path succeeded")
        } catch {
            #expect(error.path == FileIO.join(root, "else") && error.operation == .rename && error.errno == .noSuchFile)
        }
    }

    @Test("replaceDirectory puts the staging directory at the target and hands back where the old one is")
    func replaceDirectory() throws {
        let root = "/tmp/swarmbase-replace-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileIO.removeTree(root) }
        let target = FileIO.join(root, "target"), staging = FileIO.join(root, "staging")
        try FileIO.makeDirectories(staging)
        try FileIO.writeAtomically([1], to: FileIO.join(staging, "f"))
        #expect(try FileIO.replaceDirectory(target, with: staging) == nil, "a missing target is a plain move")
        try FileIO.makeDirectories(staging)
        try FileIO.writeAtomically([2], to: FileIO.join(staging, "f"))
        let old = try #require(try FileIO.replaceDirectory(target, with: staging))
        #expect(try FileIO.readAll(FileIO.join(target, "f"), limit: 10) == [2])
        #expect(try FileIO.readAll(FileIO.join(old, "f"), limit: 10) == [1])
        do {
            _ = try FileIO.replaceDirectory(target, with: FileIO.join(root, "nothing"))
            Issue.record("replacing with a missing directory succeeded")
        } catch {
            #expect(error.operation == .rename)
        }
        #expect(try FileIO.readAll(FileIO.join(target, "f"), limit: 10) == [2], "a failed replacement leaves the target as it was")
    }

    @Test("a duplicate key names the key, unescaped, and the depth of its object")
    func duplicateKeyDepth() {
        for (text, key, depth) in [(#"{"w": 1, "\u0077": 2}"#, "w", 1), (#"{"x": {"k": 1, "k": 2}}"#, "k", 2)] {
            do {
                _ = try JSONValue.parse(text)
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.duplicateKey == JSONDuplicateKey(key: key, depth: depth), "\(text)")
            }
        }
        #expect((try? JSONValue.parse(#"{"a": {"b": 1}, "b": 2}"#)) != nil, "the same key in different objects is no duplicate")
    }
}

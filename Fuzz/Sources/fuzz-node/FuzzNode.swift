import FuzzSupport
import Glibc
import SwarmTuneCLI

// A node's own files: byte 0 even feeds the rest as a `--config` file (a JSON object of options)
// to `swarmtune node`'s parser and validator, as the command line reads it (the file's fields
// become options, each checked by its option: addresses, link specs, ranges, choices); odd feeds
// it as a `--fault-control` file (link lines and a `hostile` line), whose every error must name
// the file and the line.

/// Where the config bytes are written for the parser to read (tmpfs when there is one).
let configPath: String = {
    let dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    return "\(dir)/swarmtune-fuzz-node-\(getpid()).json"
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = Fuzz.input(data, size)
    guard let selector = input.first else { return 0 }
    let body = UnsafeRawBufferPointer(rebasing: input.dropFirst())
    if selector & 1 == 0 {
        let fd = open(configPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        Fuzz.check(fd >= 0, "cannot open \(configPath)")
        let written = body.isEmpty ? 0 : write(fd, body.baseAddress, body.count)
        close(fd)
        Fuzz.check(written == body.count, "cannot write \(configPath)")
        _ = try? SwarmTuneCommand.check(["node", "--config", configPath])
    } else {
        let text = String(decoding: body, as: UTF8.self)
        do {
            let (links, _) = try SwarmTuneCommand.checkFaultControl(text, file: "faults.txt")
            Fuzz.check(links <= text.split(separator: "\n").count, "\(links) links from fewer lines")
        } catch {
            Fuzz.check(error.description.hasPrefix("--fault-control faults.txt:"), "an error that does not name the file and line: \(error)")
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?) -> CInt {
    Fuzz.writeSeedsIfRequested {
        let seeds: [(String, [UInt8], String)] = [
            ("config-training.json", [0], #"""
            {"certs": "certs", "name": "n1", "listen": "127.0.0.1:7001", "state": "run/n1", "swarm-id": "lab",
             "core": "models/core.gguf", "data": "data/n1.jsonl", "join": ["127.0.0.1:7000", "[::1]:7002"],
             "rounds": 20, "local-steps": 4, "deadline-ms": 5000, "adaptive-deadline": true, "deadline-min-ms": 500,
             "mode": "frozen-a", "wire-dtype": "bf16", "topology": "regular-4", "rank": 8, "alpha": 16.5,
             "targets": "q,k,v,o", "lr": 0.003, "batch": 4, "seq-len": 72, "precision": "fp32", "threads": 2,
             "swarm-seed": 7, "data-seed": 3, "wait-for": 2, "max-norm-ratio": 10, "keep-checkpoints": 3,
             "link-latency-ms": 20, "link-jitter-ms": 5, "link-loss": 0.01, "link-bandwidth-mbit": 100,
             "link": ["127.0.0.1:7000=latency-ms:80,loss:0.02", "[::1]:7002=bandwidth-mbit:1.5"], "link-seed": 9,
             "fault-control": "run/n1/faults.txt"}
            """#),
            ("config-membership.json", [0], #"""
            {"certs": "certs", "name": "n2", "listen": "0.0.0.0:7002", "advertise": "node-b.example.org:7002",
             "state": "run/n2", "swarm-id": "lab", "peers": "peers/lab.txt", "probe-period-ms": 250,
             "suspicion-alpha": 2.5, "suspicion-beta": 3, "schema-hash": "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
             "core-hash": "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"}
            """#),
            ("faults-links.txt", [1], "# cut one link, slow another\n127.0.0.1:7001=loss:1\n  [::1]:7002=latency-ms:80,jitter-ms:10,loss:0.02,bandwidth-mbit:2 \n\nhostile huge-norm\n"),
            ("faults-hostile.txt", [1], "hostile forged-sender\n"),
        ]
        // A seed the parser refuses covers little: each must be accepted.
        for (name, selector, text) in seeds {
            if selector == [0] {
                let path = "/tmp/swarmtune-fuzz-seed-\(getpid())-\(name)"
                guard let file = fopen(path, "wb") else { fatalError("cannot create \(path)") }
                fputs(text, file)
                fclose(file)
                defer { unlink(path) }
                try SwarmTuneCommand.check(["node", "--config", path])
            } else {
                _ = try SwarmTuneCommand.checkFaultControl(text, file: name)
            }
        }
        return seeds.map { ($0.0, $0.1 + Array($0.2.utf8)) }
    }
    return 0
}

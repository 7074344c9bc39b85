import Glibc

/// Helpers every fuzz target shares.
public enum Fuzz {
    /// The input libFuzzer hands to `LLVMFuzzerTestOneInput`, as a buffer (empty input has no pointer).
    public static func input(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: size == 0 ? nil : data, count: size)
    }

    /// Traps with `message` when an invariant fails, so libFuzzer records the input as a crash.
    public static func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("fuzz invariant failed: \(message())") }
    }

    /// Checks that an accepted `value` survives `roundTrip` (encode then decode, print then parse)
    /// unchanged; a throw or a different value is a crash. `what` names the value in the message.
    public static func checkRoundTrip<Value: Equatable>(_ value: Value, _ what: String, _ roundTrip: (Value) throws -> Value) {
        do {
            let again = try roundTrip(value)
            check(again == value, "\(what) changed through a round trip: \(value) -> \(again)")
        } catch {
            check(false, "accepted \(what) does not round-trip: \(value): \(error)")
        }
    }

    /// Called from `LLVMFuzzerInitialize`: with SWARMTUNE_FUZZ_WRITE_SEEDS=DIR set, writes the
    /// target's seed inputs into DIR (one file per seed) and exits; otherwise does nothing.
    /// `scripts/fuzz seeds` uses this to regenerate Fuzz/Corpus/ from the encoders in the tree.
    public static func writeSeedsIfRequested(_ seeds: () throws -> [(name: String, bytes: [UInt8])]) {
        guard let dir = getenv("SWARMTUNE_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return }
        do {
            for seed in try seeds() {
                let path = dir + "/" + seed.name
                guard let file = fopen(path, "wb") else { fatalError("cannot create \(path)") }
                let written = seed.bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
                guard written == seed.bytes.count, fclose(file) == 0 else { fatalError("cannot write \(path)") }
                print("wrote \(path) (\(seed.bytes.count) bytes)")
            }
        } catch {
            fatalError("cannot build seeds: \(error)")
        }
        exit(0)
    }
}

import SwarmBase
import Testing
import Tokenizer
import Train
@testable import TrainData

@Suite struct BatchingTests {
    /// Examples of varied lengths whose ids encode (example, position) so placement can be checked.
    func examples(_ lengths: [Int]) -> [TokenizedExample] {
        lengths.enumerated().map { e, n in
            let ids = (0..<n).map { Int32(1000 * (e + 1) + $0) }
            // Second half trainable.
            let labels = ids.enumerated().map { $0.offset >= n / 2 ? $0.element : ignoredLabel }
            return TokenizedExample(ids: ids, labels: labels, line: e + 1)
        }
    }

    @Test func paddedBatchesHaveOneExamplePerRowAndIgnoredPadding() throws {
        let data = examples([5, 8, 3, 8, 1, 6, 7])
        let batcher = try Batcher(examples: data, options: BatchingOptions(batchSize: 3, sequenceLength: 8, padID: 0), seed: 1)
        let batches = batcher.batches(epoch: 0)
        #expect(batches.count == 3)
        var seenLines: [Int] = []
        for batch in batches {
            #expect(batch.ids.count == 3 * 8 && batch.labels.count == 3 * 8)
            for r in 0..<3 {
                let row = r * 8
                let length = batch.rowLengths[r]
                for t in length..<8 {
                    #expect(batch.ids[row + t] == 0 && batch.labels[row + t] == ignoredLabel)
                }
                guard length > 0 else { #expect(batch.exampleStarts[r].isEmpty); continue }
                #expect(batch.exampleStarts[r] == [0])
                let e = Int(batch.ids[row]) / 1000 - 1
                #expect(Array(batch.ids[row..<(row + length)]) == data[e].ids)
                #expect(batch.labels[row] == ignoredLabel, "a row's first token has nothing to be predicted from")
                #expect(Array(batch.labels[(row + 1)..<(row + length)]) == Array(data[e].labels.dropFirst()))
            }
            seenLines += batch.lines
        }
        #expect(seenLines.sorted() == Array(1...7))
        #expect(batches[2].rowLengths.filter { $0 == 0 }.count == 2, "the last batch is completed with empty rows")
        let dropping = try Batcher(examples: data, options: BatchingOptions(batchSize: 3, sequenceLength: 8, padID: 0, dropLast: true), seed: 1)
        #expect(dropping.batches(epoch: 0).count == 2)
    }

    @Test func epochsAreReproducibleAndDiffer() throws {
        let data = examples(Array(repeating: 4, count: 40))
        let batcher = try Batcher(examples: data, options: BatchingOptions(batchSize: 4, sequenceLength: 4, padID: 0), seed: 7)
        #expect(batcher.batches(epoch: 3) == batcher.batches(epoch: 3))
        #expect(batcher.order(epoch: 0) != batcher.order(epoch: 1))
        #expect(batcher.order(epoch: 0).sorted() == Array(0..<40))
        let sameSeed = try Batcher(examples: data, options: batcher.options, seed: 7)
        #expect(sameSeed.order(epoch: 2) == batcher.order(epoch: 2))
    }

    @Test func packingPlacesEveryExampleWholeOnceWithinRowBounds() throws {
        var rng = SeededRandom(seed: 3)
        let lengths = (0..<200).map { _ in 1 + rng.below(30) }
        let data = examples(lengths)
        let options = BatchingOptions(batchSize: 4, sequenceLength: 32, padID: -1, packing: true)
        let batcher = try Batcher(examples: data, options: options, seed: 11)
        let batches = batcher.batches(epoch: 0)
        var placed: [Int] = []
        var rows = 0
        for batch in batches {
            for r in 0..<4 {
                let row = r * 32
                let length = batch.rowLengths[r]
                #expect(length <= 32)
                if length > 0 { rows += 1 }
                let starts = batch.exampleStarts[r]
                #expect(starts == starts.sorted())
                for (k, start) in starts.enumerated() {
                    let end = k + 1 < starts.count ? starts[k + 1] : length
                    let e = Int(batch.ids[row + start]) / 1000 - 1
                    placed.append(e)
                    #expect(Array(batch.ids[(row + start)..<(row + end)]) == data[e].ids, "example split or reordered")
                    #expect(batch.labels[row + start] == ignoredLabel, "no loss across an example boundary")
                    #expect(Array(batch.labels[(row + start + 1)..<(row + end)]) == Array(data[e].labels.dropFirst()))
                }
                for t in length..<32 { #expect(batch.ids[row + t] == -1 && batch.labels[row + t] == ignoredLabel) }
            }
        }
        #expect(placed.sorted() == Array(0..<200))
        #expect(placed == batcher.order(epoch: 0), "packing keeps the epoch order")
        let total = lengths.reduce(0, +)
        #expect(rows < 200 && rows >= (total + 31) / 32, "packing uses fewer rows than examples")
        let trainable = data.reduce(0) { $0 + $1.labels.dropFirst().filter { $0 != ignoredLabel }.count }
        #expect(batches.reduce(0) { $0 + $1.trainableTokenCount } == trainable)
    }

    @Test func examplesThatDoNotFitOrAreInconsistentAreRefused() {
        let options = BatchingOptions(batchSize: 2, sequenceLength: 4, padID: 0)
        #expect(throws: TrainDataError.invalidExample(index: 1, reason: "5 tokens; a row holds 1...4")) {
            try Batcher(examples: examples([3, 5]), options: options, seed: 0)
        }
        #expect(throws: TrainDataError.self) {
            try Batcher(examples: [TokenizedExample(ids: [1, 2], labels: [1])], options: options, seed: 0)
        }
        #expect(throws: TrainDataError.self) {
            try Batcher(examples: [TokenizedExample(ids: [], labels: [])], options: options, seed: 0)
        }
        #expect(throws: TrainDataError.self) {
            try Batcher(examples: [], options: BatchingOptions(batchSize: 0, sequenceLength: 4, padID: 0), seed: 0)
        }
    }

    @Test func endToEndFromJSONLToBatches() throws {
        let dataset = try Dataset(jsonl: jsonl((0..<20).map { #"{"instruction":"q\#($0)","output":"answer \#($0)"}"# }), path: "d.jsonl")
        let (train, eval) = try dataset.split(eval: .fraction(0.2), seed: 5)
        #expect(train.examples.count == 16 && eval.examples.count == 4)
        #expect(Set(train.examples.map(\.line)).isDisjoint(with: eval.examples.map(\.line)))
        let prepared = try train.prepare(maxSequenceLength: 64, segments: ChatTemplate(defaultSystemMessage: nil).segments(for:), encode: toyEncode)
        #expect(prepared.truncatedCount == 0 && prepared.droppedCount == 0)
        let batcher = try Batcher(examples: prepared.examples, options: BatchingOptions(batchSize: 4, sequenceLength: 64, padID: 0, packing: true), seed: 5)
        let batches = batcher.batches(epoch: 0)
        let decoded = batches.flatMap { b in (0..<4).map { r in toyDecode(Array(b.ids[(r * 64)..<(r * 64 + b.rowLengths[r])])) } }.joined()
        for example in train.examples {
            #expect(decoded.contains(ChatTemplate(defaultSystemMessage: nil).render(example.record)))
        }
    }
}

import Dispatch
import LM
import Train
import TrainData

/// Runs the local steps of several nodes at once: each trainer on its own one-thread pool, at most
/// `workers` trainers at a time. Each node's result depends only on its own state, so the outcome
/// is the same whatever the thread count or the order the threads finish in.
enum LocalSteps {
    /// One node's job: its trainer, data and step count.
    struct Job {
        let trainer: Trainer
        let data: [TokenizedExample]
        let steps: Int
    }

    /// The mean loss of each job's steps, in job order.
    static func run(_ jobs: [Job], workers: Int) -> [Result<Double, LMError>] {
        let box = ResultBox(jobs: jobs)
        let lanes = max(1, min(workers, jobs.count))
        if lanes == 1 {
            for i in jobs.indices { box.run(i) }
        } else {
            DispatchQueue.concurrentPerform(iterations: lanes) { lane in
                for i in stride(from: lane, to: box.jobs.count, by: lanes) { box.run(i) }
            }
        }
        return box.collect()
    }

    /// Jobs and their result slots. Safe to share across the lanes because lane k touches only the
    /// jobs and slots k, k + lanes, ... (each trainer is used by exactly one thread).
    private final class ResultBox: @unchecked Sendable {
        let jobs: [Job]
        /// One slot per job, written by its lane only (raw storage: no exclusivity check spans slots).
        private let results: UnsafeMutablePointer<Result<Double, LMError>?>

        init(jobs: [Job]) {
            self.jobs = jobs
            results = .allocate(capacity: max(1, jobs.count))
            results.initialize(repeating: nil, count: max(1, jobs.count))
        }

        deinit {
            results.deinitialize(count: max(1, jobs.count))
            results.deallocate()
        }

        func collect() -> [Result<Double, LMError>] { jobs.indices.map { results[$0]! } }

        func run(_ i: Int) {
            let job = jobs[i]
            var loss = 0.0
            do throws(LMError) {
                for _ in 0..<job.steps { loss += try job.trainer.trainStep(job.data).loss }
                // Idle until its next round: only the adapter and optimizer state stay resident.
                job.trainer.releaseWorkspace()
                results[i] = .success(loss / Double(max(1, job.steps)))
            } catch {
                results[i] = .failure(error)
            }
        }
    }
}

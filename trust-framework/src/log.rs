//! The transparency log in memory: the leaves (canonical event JSON), their Merkle tree and
//! the register folded from them. Storage backends load into it and append through it, so
//! every process computes the same roots from the same rows.

use credentials::keys::Signer;

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::events::{Event, EventKind};
use crate::merkle::{self, Hash, MerkleTree, ProofError};
use crate::register::{Register, RegisterError};

/// Why an entry could not be appended or loaded.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The event does not apply to the register.
    #[error("log index {index}: {source}")]
    Register {
        /// Where.
        index: u64,
        /// Why.
        source: RegisterError,
    },
    /// A stored leaf is not an event.
    #[error("log entry {index} is not a valid event: {message}")]
    BadLeaf {
        /// Where.
        index: u64,
        /// Why.
        message: String,
    },
    /// A stored leaf is not in canonical form.
    #[error("log entry {0} is not canonical JSON")]
    NotCanonical(u64),
    /// The event's leaf is longer than a tlog-tiles entry bundle can hold (65,535 bytes).
    #[error("the event is {0} bytes as a log entry; at most 65,535 fit in the log's tiles")]
    LeafTooLong(usize),
    /// A proof request is out of range.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// Signing a checkpoint failed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// An event ready to be appended: its leaf bytes and the register after it.
#[derive(Debug)]
pub struct Prepared {
    /// The log index it will take.
    pub index: u64,
    /// The canonical leaf bytes.
    pub leaf: Vec<u8>,
    /// Its leaf hash.
    pub leaf_hash: Hash,
    register: Option<Register>,
    event: Event,
}

/// The log: leaves, tree and register, always in step.
#[derive(Clone, Debug, Default)]
pub struct Log {
    leaves: Vec<Vec<u8>>,
    events: Vec<Event>,
    tree: MerkleTree,
    register: Register,
}

impl Log {
    /// An empty log.
    pub fn new() -> Self {
        Log {
            tree: MerkleTree::new(),
            ..Default::default()
        }
    }

    /// The number of entries.
    pub fn len(&self) -> u64 {
        self.tree.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The register as of the latest entry.
    pub fn register(&self) -> &Register {
        &self.register
    }

    /// The Merkle tree.
    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// Every event, in log order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The leaf bytes of entry `index`.
    pub fn leaf(&self, index: u64) -> Option<&[u8]> {
        self.leaves
            .get(usize::try_from(index).ok()?)
            .map(Vec::as_slice)
    }

    /// Checks `event` against the register and computes its leaf, without appending.
    pub fn prepare(&self, event: Event) -> Result<Prepared, LogError> {
        let index = self.len();
        let register = if matches!(event.kind, EventKind::CorrectionRecorded { .. }) {
            let mut all = self.events.clone();
            all.push(event.clone());
            Some(
                Register::fold(&all)
                    .map_err(|(index, source)| LogError::Register { index, source })?,
            )
        } else {
            let mut scratch = self.register.clone();
            scratch
                .apply(index, &event)
                .map_err(|source| LogError::Register { index, source })?;
            Some(scratch)
        };
        let leaf = event.to_leaf();
        if leaf.len() > crate::tiles::MAX_ENTRY {
            return Err(LogError::LeafTooLong(leaf.len()));
        }
        Ok(Prepared {
            index,
            leaf_hash: merkle::leaf_hash(&leaf),
            leaf,
            register,
            event,
        })
    }

    /// Appends a prepared event (it must have been prepared against this log's current size).
    pub fn commit(&mut self, prepared: Prepared) {
        assert_eq!(
            prepared.index,
            self.len(),
            "prepared against another log size"
        );
        self.tree.push_leaf_hash(prepared.leaf_hash);
        self.leaves.push(prepared.leaf);
        self.events.push(prepared.event);
        if let Some(r) = prepared.register {
            self.register = r;
        }
    }

    /// Checks and appends an event; returns its index.
    pub fn append(&mut self, event: Event) -> Result<u64, LogError> {
        let p = self.prepare_fast(event)?;
        let index = p.index;
        self.commit(p);
        Ok(index)
    }

    /// Like [`Log::prepare`] but applies in place (no register clone) for trusted bulk loads.
    fn prepare_fast(&mut self, event: Event) -> Result<Prepared, LogError> {
        let index = self.len();
        if matches!(event.kind, EventKind::CorrectionRecorded { .. }) {
            return self.prepare(event);
        }
        self.register
            .apply(index, &event)
            .map_err(|source| LogError::Register { index, source })?;
        let leaf = event.to_leaf();
        if leaf.len() > crate::tiles::MAX_ENTRY {
            return Err(LogError::LeafTooLong(leaf.len()));
        }
        Ok(Prepared {
            index,
            leaf_hash: merkle::leaf_hash(&leaf),
            leaf,
            register: None,
            event,
        })
    }

    /// Appends a stored leaf (as stored: its exact bytes are hashed), checking it is a
    /// canonical event that applies.
    pub fn load_leaf(&mut self, leaf: Vec<u8>) -> Result<u64, LogError> {
        let index = self.len();
        let event = Event::from_leaf(&leaf).map_err(|e| LogError::BadLeaf {
            index,
            message: e.to_string(),
        })?;
        if event.to_leaf() != leaf {
            return Err(LogError::NotCanonical(index));
        }
        let mut p = self.prepare_fast(event)?;
        p.leaf_hash = merkle::leaf_hash(&leaf);
        p.leaf = leaf;
        self.commit(p);
        Ok(index)
    }

    /// The current tree head under `origin`.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            origin: self.register.origin.clone(),
            size: self.len(),
            root: self.tree.root(),
        }
    }

    /// The tree head at an earlier size.
    pub fn checkpoint_at(&self, size: u64) -> Result<Checkpoint, LogError> {
        Ok(Checkpoint {
            origin: self.register.origin.clone(),
            size,
            root: self.tree.root_at(size)?,
        })
    }

    /// Signs the current checkpoint with the log key.
    pub fn sign_checkpoint(&self, signer: &dyn Signer) -> Result<String, LogError> {
        Ok(self.checkpoint().sign(signer)?)
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        Ok(self.tree.inclusion_proof(index, size)?)
    }

    /// The consistency proof between two tree sizes.
    pub fn consistency_proof(&self, from: u64, to: u64) -> Result<Vec<Hash>, LogError> {
        Ok(self.tree.consistency_proof(from, to)?)
    }
}

//! A model on disk: `model.txt` (LightGBM text, loadable by LightGBM itself) and
//! `manifest.json` beside it — what it was trained on (features in model order, the label,
//! the data's content hash and time range, the time after which decisions may be scored),
//! the parameters, the selection report, the purged CV and walk-forward scores, importances
//! and the feature-drift references. The manifest holds the model file's hash, so a model
//! and a manifest that do not belong together are refused.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::ModelError;
use crate::dataset::LabelSpec;
use crate::drift::DriftReference;
use crate::ensemble::Ensemble;
use crate::lightgbm_text::{from_text, to_text};
use crate::selection::SelectionReport;
use crate::train::BoostParams;
use crate::validation::FoldScore;

/// File name of the model inside a model directory.
pub const MODEL_FILE: &str = "model.txt";
/// File name of the manifest inside a model directory.
pub const MANIFEST_FILE: &str = "manifest.json";
/// Manifest format tag.
pub const MANIFEST_FORMAT: &str = "auction-trader-model/1";

/// The data a model was trained on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingData {
    /// Input files as given (informational).
    pub sources: Vec<String>,
    /// `sha256:` of the matrix content (see `Matrix::content_hash`).
    pub matrix_sha256: String,
    pub matrix_rows: usize,
    /// Labelled rows used for training (selection and the final model).
    pub training_rows: usize,
    pub first_ts: i64,
    /// Minute close of the last training row.
    pub last_ts: i64,
    /// The last instant any training label looked at (`last_ts` + horizon): a decision at
    /// or before this time must not be scored by this model (it was fitted on its future).
    pub label_end_ts: i64,
    pub positive_share: f64,
}

/// One feature's importances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Importance {
    pub feature: String,
    /// Mean |SHAP| (log-odds) over the training rows.
    pub mean_abs_shap: f64,
    pub gain: f64,
    pub splits: u64,
}

/// Everything recorded about a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub program_version: String,
    /// Features in model order.
    pub features: Vec<String>,
    pub label: LabelSpec,
    pub data: TrainingData,
    pub params: BoostParams,
    pub validation_share: f64,
    pub best_iteration: usize,
    pub trees: usize,
    /// The SHAP base value (expected raw score).
    pub expected_value: f64,
    pub selection: SelectionReport,
    pub purged_kfold: Vec<FoldScore>,
    pub walk_forward: Vec<FoldScore>,
    /// Best first.
    pub importance: Vec<Importance>,
    pub drift: Vec<DriftReference>,
    /// `sha256:` of model.txt.
    pub model_sha256: String,
}

/// A model with its manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelBundle {
    pub model: Ensemble,
    pub manifest: Manifest,
}

fn sha256(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// The model file of `path` (a model directory or its model.txt).
pub fn model_path(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(MODEL_FILE)
    } else {
        path.to_path_buf()
    }
}

impl ModelBundle {
    /// The model text and the manifest with `model_sha256` filled in.
    pub fn to_files(&self) -> Result<(String, String), ModelError> {
        let text = to_text(&self.model);
        let mut manifest = self.manifest.clone();
        manifest.model_sha256 = sha256(&text);
        let json = serde_json::to_string_pretty(&manifest)
            .map_err(|error| ModelError::Manifest(error.to_string()))?;
        Ok((text, json + "\n"))
    }

    /// Writes `dir/model.txt` and `dir/manifest.json` (each beside its final name first).
    pub fn save(&self, dir: &Path) -> Result<(), ModelError> {
        std::fs::create_dir_all(dir).map_err(|error| ModelError::io(dir, error))?;
        let (text, json) = self.to_files()?;
        for (name, content) in [(MODEL_FILE, text), (MANIFEST_FILE, json)] {
            let path = dir.join(name);
            let temporary = dir.join(format!(".{name}.tmp"));
            std::fs::write(&temporary, content)
                .map_err(|error| ModelError::io(&temporary, error))?;
            std::fs::rename(&temporary, &path).map_err(|error| ModelError::io(&path, error))?;
        }
        Ok(())
    }

    /// Parses a model and its manifest, checking they belong together.
    pub fn from_files(text: &str, json: &str) -> Result<Self, ModelError> {
        let model = from_text(text)?;
        let manifest: Manifest =
            serde_json::from_str(json).map_err(|error| ModelError::Manifest(error.to_string()))?;
        if manifest.format != MANIFEST_FORMAT {
            return Err(ModelError::Manifest(format!(
                "format {:?}, expected {MANIFEST_FORMAT:?}",
                manifest.format
            )));
        }
        let hash = sha256(text);
        if manifest.model_sha256 != hash {
            return Err(ModelError::Manifest(format!(
                "the model file's hash {hash} is not the manifest's {} (model and manifest \
                 from different trainings?)",
                manifest.model_sha256
            )));
        }
        if manifest.features != model.feature_names {
            return Err(ModelError::Manifest(
                "the manifest's features differ from the model file's feature_names".into(),
            ));
        }
        Ok(Self { model, manifest })
    }

    /// Loads `path` (a model directory, or its model.txt with manifest.json beside it).
    pub fn load(path: &Path) -> Result<Self, ModelError> {
        let model = model_path(path);
        let manifest = model.with_file_name(MANIFEST_FILE);
        let text =
            std::fs::read_to_string(&model).map_err(|error| ModelError::io(&model, error))?;
        let json =
            std::fs::read_to_string(&manifest).map_err(|error| ModelError::io(&manifest, error))?;
        Self::from_files(&text, &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ensemble::FeatureRange;
    use crate::selection::SelectionReport;
    use crate::tree::tests::two_level_tree;

    fn bundle() -> ModelBundle {
        let model = Ensemble {
            feature_names: vec!["a".into(), "b".into()],
            feature_ranges: vec![FeatureRange::None; 2],
            sigmoid: 1.0,
            trees: vec![two_level_tree()],
            parameters: Vec::new(),
        };
        let manifest = Manifest {
            format: MANIFEST_FORMAT.to_owned(),
            program_version: "test".into(),
            features: model.feature_names.clone(),
            label: LabelSpec {
                horizon_minutes: 15,
                cost: 0.001,
            },
            data: TrainingData {
                sources: vec!["x.csv".into()],
                matrix_sha256: "sha256:00".into(),
                matrix_rows: 100,
                training_rows: 80,
                first_ts: 0,
                last_ts: 60,
                label_end_ts: 960,
                positive_share: 0.5,
            },
            params: BoostParams::default(),
            validation_share: 0.2,
            best_iteration: 1,
            trees: 1,
            expected_value: 0.8,
            selection: SelectionReport {
                dropped: Vec::new(),
                shadow: Vec::new(),
                mean_best_shadow_gain: 0.0,
                selected: vec!["a".into(), "b".into()],
            },
            purged_kfold: Vec::new(),
            walk_forward: Vec::new(),
            importance: Vec::new(),
            drift: Vec::new(),
            model_sha256: String::new(),
        };
        ModelBundle { model, manifest }
    }

    #[test]
    fn a_bundle_round_trips_and_a_foreign_model_is_refused() {
        let (text, json) = bundle().to_files().unwrap();
        let back = ModelBundle::from_files(&text, &json).unwrap();
        assert_eq!(back.model, bundle().model);
        assert!(back.manifest.model_sha256.starts_with("sha256:"));
        // Another model with this manifest: the hash differs.
        let other = text.replace("leaf_value=1.0 -1.0 3.0", "leaf_value=1.0 -1.0 3.5");
        let error = ModelBundle::from_files(&other, &json).unwrap_err();
        assert!(error.to_string().contains("hash"), "{error}");
        let directory = std::env::temp_dir().join(format!("model-bundle-{}", std::process::id()));
        bundle().save(&directory).unwrap();
        assert_eq!(ModelBundle::load(&directory).unwrap().model, bundle().model);
        assert!(ModelBundle::load(&directory.join(MODEL_FILE)).is_ok());
        std::fs::remove_dir_all(&directory).unwrap();
        assert!(matches!(
            ModelBundle::load(&directory),
            Err(ModelError::Io { .. })
        ));
    }
}

//! Prints the schema, key-value metadata and first rows of Parquet files (a development aid).

use std::fs::File;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::{FileReader, SerializedFileReader};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        let reader = SerializedFileReader::new(File::open(&path)?)?;
        let metadata = reader.metadata();
        println!(
            "== {path}: rows {} row groups {}",
            metadata.file_metadata().num_rows(),
            metadata.num_row_groups()
        );
        println!(
            "{:?}",
            metadata.file_metadata().key_value_metadata().map(|kv| kv
                .iter()
                .map(|e| (
                    e.key.clone(),
                    e.value
                        .as_ref()
                        .map(|v| v.chars().take(600).collect::<String>())
                ))
                .collect::<Vec<_>>())
        );
        parquet::schema::printer::print_schema(
            &mut std::io::stdout(),
            metadata.file_metadata().schema(),
        );
        for group in 0..metadata.num_row_groups() {
            let row_group = metadata.row_group(group);
            for column in row_group.columns() {
                println!(
                    "  rg{group} {} {:?} {:?}",
                    column.column_path(),
                    column.compression(),
                    column.encodings().collect::<Vec<_>>()
                );
            }
        }
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(File::open(&path)?)?.with_batch_size(8);
        let mut batches = builder.build()?;
        if let Some(batch) = batches.next() {
            let batch = batch?;
            for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
                println!("{}: {:?}", field.name(), column);
            }
        }
    }
    Ok(())
}

//! A history chunk read back from disk (a damaged or foreign `history.redb` value): decode its
//! columns, and roll a window's two columns up per minute as closing a window does.

pub fn run(data: &[u8]) {
    let Ok(columns) = swarmglass::history::codec::decode(data) else {
        return;
    };
    if let [ticks, values, ..] = columns.as_slice() {
        let n = ticks.len().min(values.len());
        let _rows = swarmglass::history::store::minute_rows(&ticks[..n], &values[..n]);
    }
    let _ = swarmglass::history::codec::encode(
        &columns.iter().map(Vec::as_slice).collect::<Vec<&[i64]>>(),
    );
}

//! Unit tests of `fleet.rs`: the ramp, the blocks (filter, worst first, each node's own cards),
//! the kept mesh, and the automatic choice of the matrix (kept apart to keep that file small).

use super::*;

#[test]
fn the_ramp_runs_from_dark_blue_to_yellow_and_clamps() {
    assert_eq!(ramp(0.0), Color32::from_rgb(0x44, 0x01, 0x54));
    assert_eq!(ramp(1.0), Color32::from_rgb(0xfd, 0xe7, 0x25));
    assert_eq!(ramp(-3.0), ramp(0.0));
    assert_eq!(ramp(f64::NAN.max(2.0)), ramp(1.0));
    let mid = ramp(0.5);
    assert_eq!(mid, Color32::from_rgb(0x21, 0x91, 0x8c));
}

#[test]
fn nodes_filter_by_name_or_model_and_sort_worst_first() {
    let start = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let model = crate::testdata::sample_model(12, 2, 0, start);
    let views = model.views();
    let names = |st: &FleetState| {
        blocks(views, st)
            .iter()
            .map(|b| b.node.name.clone())
            .collect::<Vec<_>>()
    };
    let mut st = FleetState::default();
    assert_eq!(names(&st).len(), 12, "every node with GPUs");
    st.filter = "NODE-1".into();
    assert_eq!(
        names(&st),
        ["node-10", "node-11"],
        "case-insensitive name filter"
    );
    st.filter = String::new();
    st.worst_first = true;
    let order = blocks(views, &st);
    let worst: Vec<f64> = order.iter().map(|b| b.worst).collect();
    assert!(worst.windows(2).all(|w| w[0] >= w[1]), "{worst:?}");
    let top_util = views
        .gpus
        .iter()
        .filter_map(|c| c.gpu.util_pct)
        .fold(0.0, f64::max);
    let first = order[0].node;
    if views.nodes.iter().any(|n| n.health.severity() > 0) {
        assert!(
            first.health.severity() > 0,
            "a node in trouble comes first: {first:?}"
        );
    } else {
        assert_eq!(order[0].worst, top_util / 100.0, "the busiest node first");
        let tied: Vec<&str> = order
            .iter()
            .filter(|b| b.worst == order[0].worst)
            .map(|b| b.node.name.as_str())
            .collect();
        let mut sorted = tied.clone();
        sorted.sort_by(|a, b| crate::model::text::natural_cmp(a, b));
        assert_eq!(tied, sorted, "ties keep their natural order");
    }
}

/// The matrix's mesh (the frame's shape with the most vertices) of one frame of
/// `fleet_ui`, with the figure and filter of `st`.
fn matrix_mesh(ctx: &egui::Context, views: &Views, st: &mut FleetState) -> Arc<egui::Mesh> {
    let mut out = ctx.run_ui(
        egui::RawInput {
            screen_rect: Some(Rect::from_min_size(Pos2::ZERO, vec2(1280.0, 800.0))),
            ..Default::default()
        },
        |ui| {
            fleet_ui(ui, views, st, 700.0);
        },
    );
    // No GPU to upload the font atlas to.
    out.textures_delta.clear();
    out.shapes
        .into_iter()
        .filter_map(|c| match c.shape {
            egui::Shape::Mesh(m) => Some(m),
            _ => None,
        })
        .max_by_key(|m| m.vertices.len())
        .expect("the matrix's mesh")
}

/// A frame that changes nothing the matrix is drawn from reuses its mesh; new views, another
/// figure or a filter draw it again — and a mesh drawn again equals one drawn from nothing.
#[test]
fn the_matrix_mesh_is_kept_until_what_it_shows_changes() {
    let start = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let mut model = crate::testdata::sample_model(40, 8, 0, start);
    let ctx = egui::Context::default();
    let mut st = FleetState::default();
    let first = matrix_mesh(&ctx, model.views(), &mut st);
    assert!(
        first.vertices.len() >= 40 * 8 * 4,
        "{}",
        first.vertices.len()
    );
    let again = matrix_mesh(&ctx, model.views(), &mut st);
    assert!(
        Arc::ptr_eq(&first, &again),
        "nothing changed: the same mesh"
    );

    st.figure = FleetFigure::Temperature;
    let temp = matrix_mesh(&ctx, model.views(), &mut st);
    assert!(!Arc::ptr_eq(&first, &temp), "another figure: drawn again");
    assert_ne!(first.vertices, temp.vertices);
    st.filter = "node-3".into();
    let filtered = matrix_mesh(&ctx, model.views(), &mut st);
    assert!(filtered.vertices.len() < temp.vertices.len());
    st.filter.clear();

    // One node's new readings (its block is drawn again in place), then a node going down
    // (its block needs more room: it moves to the end) and up again, over and over (the room
    // left behind grows until the mesh is drawn again whole, tightly), then every node's new
    // readings (drawn again whole): each time the mesh draws something else and exactly what one drawn
    // from nothing draws. Between frames the test keeps a copy, not the mesh, so that the
    // matrix may change it in place.
    drop(temp);
    let kept = matrix_mesh(&ctx, model.views(), &mut st);
    let mut last = (drawn(&kept), Arc::as_ptr(&kept) as usize);
    drop(kept);
    let down = |model: &mut crate::model::Model, at: u64| {
        let at = start + std::time::Duration::from_secs(at);
        let id = crate::testdata::dcgm_id(2);
        model.apply(
            crate::model::input::SourceUpdate::Scrape {
                source: id.clone(),
                at,
                result: Err(crate::model::input::SourceError::Connect {
                    url: id.locator,
                    reason: "connection refused".into(),
                }),
            },
            at,
        );
    };
    let mut steps = vec![("one node", Some(true))];
    for _ in 0..5 {
        // In place at first; drawn again whole once a quarter of the mesh is left unused.
        steps.extend([("node 2 down", None), ("node 2 up", None)]);
    }
    steps.push(("every node", Some(false)));
    // All at one moment: no other node goes stale meanwhile.
    let mut whole = 0;
    for (step, in_place) in steps {
        match step {
            "one node" => crate::testdata::apply_node(&mut model, 3, 8, start, 1.0),
            "node 2 down" => {
                down(&mut model, 1);
                down(&mut model, 1);
            }
            "node 2 up" => crate::testdata::apply_node(&mut model, 2, 8, start, 1.0),
            _ => (0..40).for_each(|i| crate::testdata::apply_node(&mut model, i, 8, start, 2.0)),
        }
        let changed = matrix_mesh(&ctx, model.views(), &mut st);
        assert_ne!(last.0, drawn(&changed), "{step}: something else drawn");
        let patched = Arc::as_ptr(&changed) as usize == last.1;
        if let Some(in_place) = in_place {
            assert_eq!(
                patched, in_place,
                "{step}: drawn again in place: {in_place}"
            );
        }
        whole += usize::from(!patched);
        let fresh = matrix_mesh(&egui::Context::default(), model.views(), &mut st);
        assert_eq!(
            drawn(&changed),
            drawn(&fresh),
            "{step}: the same as drawn from nothing"
        );
        last = (drawn(&changed), Arc::as_ptr(&changed) as usize);
    }
    assert!(
        (2..=5).contains(&whole),
        "the flapping node's room was reclaimed now and then, not every time: {whole} whole"
    );
}

/// The triangles `m` draws, each as its three vertices (position and colour), empty ones left
/// out, sorted: what is on screen, whatever the order of the blocks in the buffer.
fn drawn(m: &egui::Mesh) -> Vec<[(u32, u32, [u8; 4]); 3]> {
    let v = |i: u32| {
        let p = &m.vertices[i as usize];
        (p.pos.x.to_bits(), p.pos.y.to_bits(), p.color.to_array())
    };
    let mut out: Vec<_> = m
        .indices
        .chunks_exact(3)
        .filter(|t| !(t[0] == t[1] && t[1] == t[2]))
        .map(|t| [v(t[0]), v(t[1]), v(t[2])])
        .collect();
    out.sort_unstable();
    out
}

/// Each block holds exactly its node's cards — with a node without GPUs in the middle and
/// a filter that leaves nodes out — and together the blocks hold every card.
#[test]
fn every_block_holds_its_own_nodes_cards() {
    use crate::model::ids::{SourceId, SourceKind};
    let start = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    let mut model = crate::testdata::sample_model(12, 2, 0, start);
    let bare = SourceId::new(
        "node-5a",
        SourceKind::Prometheus,
        "http://node-5a:8000/metrics",
    );
    model.register(bare, std::time::Duration::from_secs(2));
    let views = model.views();
    assert!(
        views
            .nodes
            .iter()
            .any(|n| n.name == "node-5a" && n.gpus == 0)
    );
    for filter in ["", "node-1"] {
        let st = FleetState {
            filter: filter.into(),
            ..FleetState::default()
        };
        let shown = blocks(views, &st);
        for b in &shown {
            assert!(!b.gpus.is_empty());
            assert!(
                b.gpus.iter().all(|c| *c.node == *b.node.name),
                "{}",
                b.node.name
            );
            assert_eq!(b.gpus.len(), b.node.gpus, "{}", b.node.name);
        }
        if filter.is_empty() {
            let total: usize = shown.iter().map(|b| b.gpus.len()).sum();
            assert_eq!(total, views.gpus.len());
        }
    }
}

#[test]
fn auto_picks_the_matrix_only_when_cards_no_longer_fit() {
    use super::super::Density;
    assert!(!Density::Auto.is_fleet(AUTO_FLEET_ABOVE));
    assert!(Density::Auto.is_fleet(AUTO_FLEET_ABOVE + 1));
    assert!(Density::Fleet.is_fleet(1));
    assert!(!Density::Compact.is_fleet(10_000));
}

#[test]
fn a_thousand_nodes_of_eight_fit_a_1080p_screen() {
    let avail = vec2(1900.0, 900.0);
    let (cell, gap, block_gap) = geometry(avail, 1000, 8, DESK_SIDES);
    let block_w = 8.0 * (cell.x + gap) + block_gap;
    let cols = ((avail.x + block_gap) / block_w).floor();
    let rows = (1000.0 / cols).ceil();
    assert!(
        rows * (cell.y + block_gap) <= avail.y,
        "{cell:?} {cols} {rows}"
    );
    assert!(cell.y >= 6.0, "cells stay visible: {cell:?}");
    // A handful of nodes get large cells.
    assert_eq!(geometry(avail, 4, 8, DESK_SIDES).0.y, 18.0);
}

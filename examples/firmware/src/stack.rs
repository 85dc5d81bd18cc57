//! Peak stack by painting: fill the free stack with a pattern at boot, find the lowest word that
//! changed at the end.

use core::ptr::{addr_of, read_volatile, write_volatile};

const PATTERN: u32 = 0xDEAD_BEEF;

unsafe extern "C" {
    /// The end of static RAM (`.bss` and `.uninit`): the lowest address the stack may reach.
    static mut __sheap: u32;
    /// The initial stack pointer, the top of RAM.
    static mut _stack_start: u32;
}

fn bottom() -> *mut u32 {
    addr_of!(__sheap) as *mut u32
}

fn top() -> usize {
    addr_of!(_stack_start) as usize
}

/// Paints every word from the bottom of the stack up to this function's own stack pointer.
#[inline(never)]
pub fn paint() {
    let sp: usize;
    // SAFETY: reads the stack pointer; no memory is touched.
    unsafe { core::arch::asm!("mov {}, sp", out(reg) sp) };
    let mut p = bottom();
    while (p as usize) < sp - 16 {
        // SAFETY: `p` lies between the end of static RAM and the live stack: memory nothing uses.
        unsafe { write_volatile(p, PATTERN) };
        p = p.wrapping_add(1);
    }
}

/// The bytes between the top of the stack and the lowest word that no longer holds the paint.
pub fn peak() -> usize {
    let mut p = bottom();
    // SAFETY: reads painted RAM between the end of static RAM and the top of the stack.
    while (p as usize) < top() && unsafe { read_volatile(p) } == PATTERN {
        p = p.wrapping_add(1);
    }
    top() - p as usize
}
